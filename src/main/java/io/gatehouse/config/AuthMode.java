package io.gatehouse.config;

/** Whether a route requires an API key ({@code auth: api_key}, the default) or is open ({@code auth: none}). */
public enum AuthMode {
    API_KEY,
    NONE
}

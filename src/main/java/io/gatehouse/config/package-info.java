/**
 * Reads {@code gateway.yaml} into immutable, validated {@code *Config} records; a bad file yields one
 * {@code file:line:col: message (at /json/pointer)} line per problem ({@link io.gatehouse.config.ConfigLoader}).
 */
package io.gatehouse.config;

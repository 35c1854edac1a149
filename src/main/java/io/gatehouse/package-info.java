/** The command line and the process: parse options, load and check the config, start, reload on SIGHUP, drain. */
package io.gatehouse;

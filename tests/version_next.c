/* The version of the second daemon binary the re-exec upgrade test uses. */
const char supervisord_version[] = SUPERVISORD_VERSION "-next";

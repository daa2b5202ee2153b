package org.poolkeeper.systemtest;

/** Registrar configuration overrides the system tests use (keys of registrar-actors' reference.conf). */
final class Settings {
    private Settings() {
    }

    static String keepAliveInterval(String value) {
        return "poolkeeper.registrar.keep-alive-interval=" + value;
    }

    static String maxHandleResolutionItems(int value) {
        return "poolkeeper.registrar.max-hres-items=" + value;
    }

    static String keepAliveTimeout(String value) {
        return "poolkeeper.registrar.keep-alive-timeout=" + value;
    }
}

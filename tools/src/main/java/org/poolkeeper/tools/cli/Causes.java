package org.poolkeeper.tools.cli;

import org.poolkeeper.protocol.wire.ErrorCause;

/** The registrar's error causes in words. */
final class Causes {
    private Causes() {
    }

    static String describe(ErrorCause cause) {
        return switch (cause) {
            case ERROR_CAUSE_OK -> "ok";
            case ERROR_CAUSE_UNKNOWN_POOL_HANDLE -> "no such pool";
            case ERROR_CAUSE_INVALID_VALUES -> "invalid values";
            case ERROR_CAUSE_NON_UNIQUE_PE_IDENTIFIER -> "the PE id is taken by another PE (no address in common)";
            case ERROR_CAUSE_INCONSISTENT_POOLING_POLICY -> "the pool has another policy";
            case ERROR_CAUSE_LACK_OF_RESOURCES -> "the registrar is at a limit (lack of resources)";
            case ERROR_CAUSE_INCONSISTENT_TRANSPORT_TYPE -> "inconsistent transport type";
            case ERROR_CAUSE_REJECTED_DUE_TO_SECURITY_CONSIDERATIONS ->
                    "refused for security reasons (a PE of another client: wrong or missing owner secret; or not "
                            + "allowed by the registrar's authorization rules; or not over TLS)";
            case ERROR_CAUSE_UNRECOGNIZED_MESSAGE -> "the registrar does not know this request (an older version?)";
            default -> cause.name().toLowerCase(java.util.Locale.ROOT).replace("error_cause_", "").replace('_', ' ');
        };
    }
}

package org.poolkeeper.tools.cli;

import java.time.Duration;
import org.poolkeeper.client.RegistrarAddress;
import org.poolkeeper.protocol.tls.TlsMaterial;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.StatusRequest;
import org.poolkeeper.protocol.wire.StatusResponse;

/** One StatusRequest to one registrar. */
final class Status {
    private Status() {
    }

    /** @throws CliException when the registrar cannot be reached or does not answer */
    static StatusResponse of(RegistrarAddress registrar, Duration timeout, TlsMaterial tls, String token) {
        try (OperatorConnection c = OperatorConnection.open(registrar, timeout, tls, token)) {
            return of(c);
        }
    }

    static StatusResponse of(OperatorConnection c) {
        long id = c.nextRequestId();
        AsapMessage answer = c.call(id, AsapMessage.newBuilder()
                .setStatusRequest(StatusRequest.newBuilder().setRequestId(id)).build());
        if (answer.hasError()) {
            throw new CliException("registrar " + c.registrar() + " refused the status request: "
                    + Causes.describe(answer.getError().getCause()));
        }
        return answer.getStatusResponse();
    }
}

package org.poolkeeper.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.net.ConnectException;
import org.junit.jupiter.api.Test;

/** What "no registrar reachable" says about the last failed connect. */
class ConnectFailureReasonTest {
    @Test
    void theStreamStagesWordingIsCutToTheSocketsReason() {
        // the message Pekko's StreamTcpException carries when a connect is refused
        RuntimeException stage = new RuntimeException("Tcp command [Connect(/127.0.0.1:3863,None,List(),"
                + "Some(1 second),true)] failed because of java.net.ConnectException: Connection refused");
        assertEquals("Connection refused", RegistrarSession.reason(stage));
    }

    @Test
    void aSocketExceptionInTheCausesIsUsedAsItIs() {
        IOException wrapped = new IOException("connect failed", new ConnectException("Connection timed out"));
        assertEquals("Connection timed out", RegistrarSession.reason(wrapped));
    }

    @Test
    void otherMessagesStayAndEmptyOnesNameTheirType() {
        assertEquals("TLS handshake failed: PKIX path building failed",
                RegistrarSession.reason(new IllegalStateException("TLS handshake failed: PKIX path building failed")));
        assertEquals("IllegalStateException", RegistrarSession.reason(new IllegalStateException()));
        assertNull(RegistrarSession.reason(null));
    }
}

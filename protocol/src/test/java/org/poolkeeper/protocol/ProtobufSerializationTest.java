package org.poolkeeper.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Message;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.remote.serialization.ProtobufSerializer;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The protocol messages cross JVMs through Pekko serialization with the configuration this module
 * ships (its reference.conf over Pekko's), Java serialization off.
 */
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
// One instance for the class: the extension shuts down only the test kit of the last instance.
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProtobufSerializationTest {

  @JUnit5TestKit public ActorTestKit testKit = new JUnit5TestKitBuilder().build();

  private Serialization serialization() {
    return SerializationExtension.get(Adapter.toClassic(testKit.system()));
  }

  /** Envelopes, and the ENRP bodies that actors also exchange unwrapped. */
  private static List<Message> protocolMessages() {
    List<Message> messages = new ArrayList<>();
    messages.addAll(SampleMessages.asapMessages());
    messages.addAll(SampleMessages.enrpMessages());
    messages.add(SampleMessages.handleUpdateBatch());
    messages.add(SampleMessages.handleUpdateBatch().getUpdates(0));
    messages.add(SampleMessages.presence());
    messages.add(SampleMessages.handleTableRequest());
    messages.add(SampleMessages.handleTableResponse());
    messages.add(SampleMessages.element(1));
    return messages;
  }

  @Test
  void everyProtocolMessageIsSerializedByPekkosProtobufSerializer() {
    Serialization serialization = serialization();
    for (Message message : protocolMessages()) {
      Serializer serializer = serialization.findSerializerFor(message);
      assertInstanceOf(ProtobufSerializer.class, serializer, message.getClass().getName());

      byte[] bytes = serialization.serialize(message).get();
      String manifest = Serializers.manifestFor(serializer, message);
      Object back = serialization.deserialize(bytes, serializer.identifier(), manifest).get();
      assertEquals(message, back);
    }
  }

  @Test
  void everyProtocolMessageSurvivesTheSerializationTestKit() {
    for (Message message : protocolMessages()) {
      testKit.serializationTestKit().verifySerialization(message, true);
    }
  }

  /** A message type someone forgot to make protobuf. */
  private record NotProtobuf(String text) implements Serializable {}

  @Test
  void javaSerializationIsDisabled() {
    assertFalse(
        testKit.system().settings().config().getBoolean("pekko.actor.allow-java-serialization"));
    assertTrue(serialization().serialize(new NotProtobuf("x")).isFailure());
  }
}

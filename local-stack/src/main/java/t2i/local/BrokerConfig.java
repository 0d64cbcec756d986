package t2i.local;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;

/**
 * The server configuration of a one-node KRaft cluster on loopback: one process is both broker and
 * controller, and every internal topic is sized for a single replica.
 */
final class BrokerConfig {

  private static final int NODE_ID = 1;
  private static final String BROKER_LISTENER = "BROKER";
  private static final String CONTROLLER_LISTENER = "CONTROLLER";

  private BrokerConfig() {}

  static Properties properties(
      Path dataDir, int brokerPort, int controllerPort, int numPartitions, Duration startupBound) {
    return properties(
        FreePorts.LOOPBACK_HOST, dataDir, brokerPort, controllerPort, numPartitions, startupBound);
  }

  /** As above, listening on {@code host} (an address of this machine) instead of loopback. */
  static Properties properties(
      String host,
      Path dataDir,
      int brokerPort,
      int controllerPort,
      int numPartitions,
      Duration startupBound) {
    Properties p = new Properties();

    p.setProperty("process.roles", "broker,controller");
    p.setProperty("node.id", Integer.toString(NODE_ID));
    // A static one-voter quorum: formatting needs no bootstrap snapshot of the voter set.
    p.setProperty("controller.quorum.voters", NODE_ID + "@" + host + ":" + controllerPort);
    p.setProperty("controller.listener.names", CONTROLLER_LISTENER);
    p.setProperty("inter.broker.listener.name", BROKER_LISTENER);
    p.setProperty(
        "listeners",
        "%s://%s:%d,%s://%s:%d"
            .formatted(
                BROKER_LISTENER, host, brokerPort, CONTROLLER_LISTENER, host, controllerPort));
    p.setProperty("advertised.listeners", BROKER_LISTENER + "://" + host + ":" + brokerPort);
    p.setProperty(
        "listener.security.protocol.map",
        BROKER_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
    p.setProperty("log.dirs", dataDir.toString());
    p.setProperty("metadata.log.dir", dataDir.toString());
    // Bounds KafkaRaftServer.startup(), which otherwise waits for the quorum without limit.
    p.setProperty("server.max.startup.time.ms", Long.toString(startupBound.toMillis()));

    // One broker: every replica count and in-sync minimum is 1, or internal topics never appear.
    p.setProperty("default.replication.factor", "1");
    p.setProperty("min.insync.replicas", "1");
    p.setProperty("offsets.topic.replication.factor", "1");
    p.setProperty("transaction.state.log.replication.factor", "1");
    p.setProperty("transaction.state.log.min.isr", "1");
    p.setProperty("share.coordinator.state.topic.replication.factor", "1");
    p.setProperty("share.coordinator.state.topic.min.isr", "1");

    // The services create their topics; a typo in a topic name must fail, not create a topic.
    p.setProperty("auto.create.topics.enable", "false");
    p.setProperty("num.partitions", Integer.toString(numPartitions));
    // Internal topics default to 50 partitions each, which makes the first group join slow.
    p.setProperty("offsets.topic.num.partitions", "4");
    p.setProperty("transaction.state.log.num.partitions", "4");
    p.setProperty("share.coordinator.state.topic.num.partitions", "4");
    // A group's first member gets its assignment at once instead of after 3 s.
    p.setProperty("group.initial.rebalance.delay.ms", "0");

    // Small thread pools and cleaner buffer: test JVMs share a few cores and a bounded heap.
    p.setProperty("num.network.threads", "2");
    p.setProperty("num.io.threads", "4");
    p.setProperty("background.threads", "4");
    p.setProperty("log.cleaner.dedupe.buffer.size", Integer.toString(4 * 1024 * 1024));
    return p;
  }
}

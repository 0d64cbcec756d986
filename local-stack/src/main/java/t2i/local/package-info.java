/**
 * A real Kafka broker and a real Redis server that tests and the local launcher start themselves:
 * {@link t2i.local.LocalKafka} (in-process KRaft), {@link t2i.local.LocalRedis} (child process),
 * {@link t2i.local.LocalStack} (both), {@link t2i.local.SharedLocalStack} (one per JVM) and {@link
 * t2i.local.LocalStackTestResource} (for {@code @QuarkusTest}). Everything binds to loopback on
 * random ports.
 */
package t2i.local;

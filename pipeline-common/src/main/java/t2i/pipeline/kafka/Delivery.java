package t2i.pipeline.kafka;

/**
 * One consumed record handed to a stage: its decoded value and where it came from.
 *
 * @param jobId the record key; every pipeline record is keyed by its job id
 * @param attempt 1 for the first try, incremented on each retry after a failure
 */
public record Delivery<T>(
    String jobId, T value, String topic, int partition, long offset, int attempt) {}

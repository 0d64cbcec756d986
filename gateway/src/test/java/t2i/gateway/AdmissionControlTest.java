package t2i.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class AdmissionControlTest {

  private final AtomicReference<OptionalLong> queued = new AtomicReference<>(OptionalLong.empty());
  private final AdmissionControl admission =
      new AdmissionControl(() -> Objects.requireNonNull(queued.get()), 100, Duration.ofSeconds(4));

  @Test
  void backlogBelowTheBound_admits() {
    queued.set(OptionalLong.of(99));

    assertThatCode(admission::checkCapacity).doesNotThrowAnyException();
  }

  @Test
  void backlogAtTheBound_refusesWithTheKeyAndARetryHint() {
    queued.set(OptionalLong.of(100));

    assertThatThrownBy(admission::checkCapacity)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
              assertThat(e.getStatus().getDescription())
                  .contains("100 jobs", "t2i.gateway.admission.max-queued-jobs");
              assertThat(e.getTrailers().get(Refusals.RETRY_AFTER_MS)).isEqualTo("4000");
            });
  }

  @Test
  void unknownBacklog_admits() {
    queued.set(OptionalLong.empty());

    assertThatCode(admission::checkCapacity).doesNotThrowAnyException();
  }

  @Test
  void nonPositiveBound_isRejected() {
    assertThatThrownBy(
            () ->
                new AdmissionControl(
                    () -> Objects.requireNonNull(queued.get()), 0, Duration.ofSeconds(1)))
        .hasMessageContaining("maxQueuedJobs must be positive");
  }
}

package t2i.notifier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import t2i.v1.CallbackOutcome;

/** The notifier's meters: attempts by outcome, and callbacks in flight. Thread-safe. */
final class NotifierMetrics {

  private final Map<CallbackOutcome, Counter> attempts = new EnumMap<>(CallbackOutcome.class);
  private final AtomicInteger pending = new AtomicInteger();

  NotifierMetrics(MeterRegistry registry) {
    for (CallbackOutcome outcome :
        new CallbackOutcome[] {
          CallbackOutcome.DELIVERED, CallbackOutcome.WILL_RETRY, CallbackOutcome.GAVE_UP
        }) {
      attempts.put(
          outcome,
          Counter.builder("t2i.notifier.attempts")
              .description("Callback attempts, by outcome (DELIVERED, WILL_RETRY, GAVE_UP)")
              .tag("outcome", outcome.name())
              .register(registry));
    }
    Gauge.builder("t2i.notifier.pending", pending, AtomicInteger::get)
        .description("Callbacks being delivered or waiting to retry")
        .register(registry);
  }

  void attempt(CallbackOutcome outcome) {
    Counter counter = attempts.get(outcome);
    if (counter != null) {
      counter.increment();
    }
  }

  void started() {
    pending.incrementAndGet();
  }

  void settled() {
    pending.decrementAndGet();
  }
}

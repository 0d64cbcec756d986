package t2i.gateway;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;
import t2i.pipeline.job.TenantLedger;

/**
 * {@code t2i.gateway.tenant.jobs.in.flight{tenant}}: each known tenant's jobs in flight across all
 * replicas, as the quota counts them. Read from Redis in the background every {@code interval}, so
 * that a scrape never waits on Redis; a reading that fails keeps the last value. Owns its thread.
 */
final class TenantGauges implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(TenantGauges.class);

  private record Tenant(String id, AtomicLong inFlight) {}

  private final TenantLedger ledger;
  private final List<Tenant> tenants;
  private final Duration interval;
  private final ScheduledExecutorService thread =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().name("tenant-gauges").daemon(true).factory());

  /**
   * @param tenants the tenants with API keys, or the anonymous tenant when authentication is off
   */
  TenantGauges(TenantLedger ledger, List<String> tenants, MeterRegistry meters, Duration interval) {
    this.ledger = ledger;
    this.interval = interval;
    this.tenants = tenants.stream().map(t -> new Tenant(t, new AtomicLong())).toList();
    for (Tenant tenant : this.tenants) {
      Gauge.builder("t2i.gateway.tenant.jobs.in.flight", tenant.inFlight(), AtomicLong::get)
          .description("A tenant's jobs accepted and not yet ended, over all gateway replicas")
          .tag("tenant", tenant.id().isEmpty() ? "anonymous" : tenant.id())
          .register(meters);
    }
  }

  void start() {
    long millis = interval.toMillis();
    // refresh() handles its own failures and close() ends the schedule: nothing waits on it.
    ScheduledFuture<?> unused =
        thread.scheduleWithFixedDelay(this::refresh, 0, millis, TimeUnit.MILLISECONDS);
  }

  private void refresh() {
    for (Tenant tenant : tenants) {
      try {
        tenant.inFlight().set(ledger.inFlightCount(tenant.id()));
      } catch (RuntimeException e) {
        LOG.debugf(e, "Could not read tenant %s's jobs in flight", CallScope.display(tenant.id()));
      }
    }
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}

package t2i.launcher.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MachineCpuTest {

  @Test
  void usage_isEachKindOfTimeAsAShareOfAllTheCoresTime() {
    // user nice system idle iowait irq softirq steal guest guest_nice
    MachineCpu.Sample before = MachineCpu.parse("cpu  1000 0 200 5000 100 10 20 30 0 0");
    MachineCpu.Sample after = MachineCpu.parse("cpu  1600 0 300 5200 100 20 30 130 0 0");

    // 720 ticks busy, 200 idle, 100 stolen: 1020 in all.
    assertThat(before.usageUntil(after, 2))
        .isEqualTo("machine (2 cores): 71% busy, 20% idle, 10% stolen by the hypervisor");
  }

  @Test
  void anOldKernelsLineWithoutSteal_countsNoneStolen() {
    MachineCpu.Sample before = MachineCpu.parse("cpu 100 0 0 100");
    MachineCpu.Sample after = MachineCpu.parse("cpu 150 0 0 150");

    assertThat(before.usageUntil(after, 1))
        .endsWith("50% busy, 50% idle, 0% stolen by the hypervisor");
  }

  @Test
  void thisMachine_hasCountersToRead_whereItIsLinux() {
    if (System.getProperty("os.name").startsWith("Linux")) {
      assertThat(MachineCpu.read()).isPresent();
    } else {
      assertThat(MachineCpu.read()).isEmpty();
    }
  }
}

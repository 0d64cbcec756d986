package t2i.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

class LocalRedisTest {

  @Test
  void setThenGet_worksThroughJedisAtUrl() {
    try (LocalRedis redis = LocalRedis.start();
        Jedis jedis = new Jedis(URI.create(redis.url()))) {
      assertThat(redis.url()).isEqualTo("redis://127.0.0.1:" + redis.port());
      jedis.set("job:1", "queued");
      assertThat(jedis.get("job:1")).isEqualTo("queued");
    }
  }

  @Test
  void withoutRedisOnPath_theBundledBinaryServes(@TempDir Path workDir) {
    try (LocalRedis redis = LocalRedis.start(workDir, false, name -> Optional.empty());
        Jedis jedis = new Jedis(URI.create(redis.url()))) {
      assertThat(redis.bundledExecutable()).isTrue();
      assertThat(redis.executable()).startsWith(workDir);
      jedis.set("embedding:1", "cached");
      assertThat(jedis.get("embedding:1")).isEqualTo("cached");
      assertThat(jedis.configGet("save")).containsEntry("save", "");
      assertThat(jedis.configGet("appendonly")).containsEntry("appendonly", "yes");
    }
  }

  @Test
  void close_stopsTheServer_releasesThePort_andDeletesTheOwnedDir() {
    LocalRedis redis = LocalRedis.start();
    Path workDir = redis.workDir();

    redis.close();

    assertThat(Ports.isFree(redis.port())).isTrue();
    assertThat(workDir).doesNotExist();
    try (LocalRedis next = LocalRedis.start();
        Jedis jedis = new Jedis(URI.create(next.url()))) {
      assertThat(jedis.ping()).isEqualTo("PONG");
    }
  }

  @Test
  void dataGoesToAnAppendOnlyFileFsyncedEverySecond() {
    try (LocalRedis redis = LocalRedis.start();
        Jedis jedis = new Jedis(URI.create(redis.url()))) {
      assertThat(jedis.configGet("save")).containsEntry("save", "");
      assertThat(jedis.configGet("appendonly")).containsEntry("appendonly", "yes");
      assertThat(jedis.configGet("appendfsync")).containsEntry("appendfsync", "everysec");
      assertThat(jedis.configGet("bind").get("bind")).isEqualTo("127.0.0.1");
    }
  }

  @Test
  void restartedOnTheSameDirectoryAndPort_keepsItsData(@TempDir Path dir) {
    int port;
    try (LocalRedis first = LocalRedis.start(dir);
        Jedis jedis = new Jedis(URI.create(first.url()))) {
      port = first.port();
      jedis.set("job:1", "denoising");
    }

    try (LocalRedis second = LocalRedis.start(dir, port);
        Jedis jedis = new Jedis(URI.create(second.url()))) {
      assertThat(second.port()).isEqualTo(port);
      assertThat(jedis.get("job:1")).isEqualTo("denoising");
    }
  }

  @Test
  void serverThatDiesAtStart_failsWithItsOutput(@TempDir Path dir) throws Exception {
    Path failing = dir.resolve("redis-server");
    Files.writeString(
        failing, "#!/bin/sh\necho 'FATAL CONFIG FILE ERROR: bad directive'\nexit 3\n");
    Files.setPosixFilePermissions(failing, PosixFilePermissions.fromString("rwxr-xr-x"));

    assertThatThrownBy(
            () -> LocalRedis.start(dir.resolve("work"), false, name -> Optional.of(failing)))
        .isInstanceOf(StartupException.class)
        .hasMessageContaining("exited with code 3")
        .hasMessageContaining("FATAL CONFIG FILE ERROR: bad directive");
  }
}

package t2i.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class ApiKeysTest {

  private static final String ALICE = "t2i_alice";
  private static final String BOB = "t2i_bob";

  private static ApiKeys keys() {
    return ApiKeys.parse(
        List.of(
            "alice:" + ApiKeys.hashHex(ALICE),
            " bob:" + ApiKeys.hashHex(BOB).toUpperCase(Locale.ROOT)));
  }

  @Test
  void hashHex_isTheSha256OfTheKeysUtf8Bytes() {
    // echo -n abc | sha256sum
    assertThat(ApiKeys.hashHex("abc"))
        .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }

  @Test
  void tenantOf_aConfiguredKey_isItsTenant() {
    assertThat(keys().tenantOf(ALICE)).contains("alice");
    assertThat(keys().tenantOf(BOB)).contains("bob");
  }

  @Test
  void tenantOf_anyOtherKey_isEmpty() {
    assertThat(keys().tenantOf("t2i_alicE")).isEmpty();
    assertThat(keys().tenantOf(ApiKeys.hashHex(ALICE))).isEmpty();
    assertThat(keys().tenantOf("")).isEmpty();
    assertThat(keys().tenantOf("k".repeat(ApiKeys.MAX_KEY_CHARS + 1))).isEmpty();
  }

  @Test
  void parse_noKeys_failsSayingHowToConfigureThem() {
    assertThatThrownBy(() -> ApiKeys.parse(List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("./t2i api-key TENANT")
        .hasMessageContaining("t2i.gateway.auth.keys=TENANT:SHA256HEX")
        .hasMessageContaining("t2i.gateway.auth.enabled=false");
  }

  @Test
  void parse_malformedEntry_namesItsPositionWithoutEchoingIt() {
    String hash = ApiKeys.hashHex(ALICE);
    for (String bad :
        List.of("alice", "alice:" + hash.substring(1), ":" + hash, "al ice:" + hash, ALICE)) {
      assertThatThrownBy(() -> ApiKeys.parse(List.of("bob:" + ApiKeys.hashHex(BOB), bad)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("entry 2 must be TENANT:SHA256HEX")
          .hasMessageNotContaining(bad);
    }
  }
}

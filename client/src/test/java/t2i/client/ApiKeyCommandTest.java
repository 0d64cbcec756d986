package t2i.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ApiKeyCommandTest {

  @Test
  void mint_givesDistinctUrlSafeKeysOf256Bits() {
    String a = ApiKeyCommand.mint();
    String b = ApiKeyCommand.mint();

    assertThat(a).isNotEqualTo(b).startsWith("t2i_").matches("t2i_[A-Za-z0-9_-]{43}");
  }

  @Test
  void sha256Hex_matchesTheKnownDigest() {
    assertThat(ApiKeyCommand.sha256Hex("abc"))
        .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }

  @Test
  void command_printsTheKeyThenTheConfigLineWithItsHash() {
    PrintStream original = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    int exit;
    try {
      exit = new CommandLine(new ApiKeyCommand()).execute("team-a");
    } finally {
      System.setOut(original);
    }

    assertThat(exit).isZero();
    String[] lines = out.toString(StandardCharsets.UTF_8).split("\\R");
    assertThat(lines).hasSize(2);
    assertThat(lines[1])
        .isEqualTo("t2i.gateway.auth.keys=team-a:" + ApiKeyCommand.sha256Hex(lines[0]));
  }

  @Test
  void badTenant_isRefusedNamingTheRule() {
    ApiKeyCommand command = new ApiKeyCommand();
    command.tenant = "team a";

    assertThatThrownBy(command::call)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("letters, digits");
  }
}

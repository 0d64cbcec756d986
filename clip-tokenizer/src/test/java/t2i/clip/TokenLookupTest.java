package t2i.clip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TokenLookupTest {

  private final ClipTokenizer clip = ReferenceFiles.openAiTokenizer();

  @Test
  void token_ofAWordId_isItsTextAndEndsTheWord() {
    Token cat = clip.token(clip.encode("cat")[0]);

    assertThat(cat.text()).isEqualTo("cat");
    assertThat(cat.endOfWord()).isTrue();
  }

  @Test
  void token_ofAByteFragment_holdsTheRawByte() {
    // An emoji that CLIP's vocabulary does not know falls apart into byte tokens.
    int[] ids = clip.encode("🧛");
    byte[] all = new byte[0];
    for (int id : ids) {
      byte[] bytes = clip.token(id).bytes();
      byte[] joined = new byte[all.length + bytes.length];
      System.arraycopy(all, 0, joined, 0, all.length);
      System.arraycopy(bytes, 0, joined, all.length, bytes.length);
      all = joined;
    }
    assertThat(ids.length).isGreaterThan(1);
    assertThat(new String(all, StandardCharsets.UTF_8)).isEqualTo("🧛");
  }

  @Test
  void token_unknownId_isRejected() {
    assertThatThrownBy(() -> clip.token(clip.vocabularySize()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not in the vocabulary");
  }
}

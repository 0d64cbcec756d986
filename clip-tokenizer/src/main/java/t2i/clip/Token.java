package t2i.clip;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One token of a tokenized text.
 *
 * @param id the vocabulary id, as {@link ClipTokenizer#encode} returns it
 * @param piece the vocabulary entry without its {@code </w>} suffix, spelled in CLIP's byte-level
 *     alphabet (each character stands for one byte); for a special token, its literal text
 * @param endOfWord whether the vocabulary entry ends a word (carries {@code </w>})
 */
public record Token(int id, String piece, boolean endOfWord) {

  public Token {
    Objects.requireNonNull(piece, "piece");
  }

  /** The raw UTF-8 bytes the token stands for; a fresh array on each call. */
  public byte[] bytes() {
    byte[] bytes = new byte[piece.length()];
    for (int i = 0; i < bytes.length; i++) {
      int b = ByteLevelAlphabet.byteOf(piece.charAt(i));
      bytes[i] = (byte) (b >= 0 ? b : '?');
    }
    return bytes;
  }

  /**
   * The bytes as text; a token that holds only part of a multi-byte character shows U+FFFD for it.
   */
  public String text() {
    return new String(bytes(), StandardCharsets.UTF_8);
  }

  /**
   * Whether the token holds only part of a character: its bytes are not valid UTF-8 on their own
   * (an emoji or rare character the vocabulary does not know falls apart into such tokens).
   */
  public boolean isByteFragment() {
    try {
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes()));
      return false;
    } catch (CharacterCodingException e) {
      return true;
    }
  }

  /** The text for people: the characters, or {@code \xNN} per byte for a byte fragment. */
  public String displayText() {
    if (!isByteFragment()) {
      return text();
    }
    StringBuilder escaped = new StringBuilder();
    for (byte b : bytes()) {
      escaped.append(String.format("\\x%02x", b & 0xff));
    }
    return escaped.toString();
  }
}

package t2i.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import t2i.clip.ClipTokenizer;

/**
 * The batch interface for checking the tokenizer against references: one JSON object {@code
 * {"text": "..."}} per input line in, one {@code {"ids": [...]}} per input line out, in order,
 * holding the raw BPE ids (no BOS/EOS, no padding, no chunking, no weighting syntax).
 */
final class JsonLinesTokenizer {

  private static final ObjectMapper JSON = new ObjectMapper();

  private JsonLinesTokenizer() {}

  /**
   * @throws IllegalArgumentException naming the line if a line is not an object with a string
   *     {@code text}; everything before it has been written
   */
  static void run(ClipTokenizer tokenizer, BufferedReader in, Writer out) throws IOException {
    String line;
    int number = 0;
    StringBuilder result = new StringBuilder(256);
    while ((line = in.readLine()) != null) {
      number++;
      JsonNode text;
      try {
        text = JSON.readTree(line).path("text");
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException(
            "line " + number + " is not JSON: " + e.getOriginalMessage());
      }
      if (!text.isTextual()) {
        throw new IllegalArgumentException(
            "line "
                + number
                + " must be an object with a string \"text\", like {\"text\": \"a cat\"}");
      }
      result.setLength(0);
      result.append("{\"ids\": [");
      int[] ids = tokenizer.encode(text.asText());
      for (int i = 0; i < ids.length; i++) {
        if (i > 0) {
          result.append(", ");
        }
        result.append(ids[i]);
      }
      result.append("]}\n");
      out.write(result.toString());
    }
    out.flush();
  }
}

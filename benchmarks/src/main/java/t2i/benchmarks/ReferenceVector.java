package t2i.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One line of a reference file: a text and the ids OpenAI's tokenizer gives it.
 *
 * @param line the line number, from 1
 */
// Read-only test data: the ids are compared element by element, never through record equality.
@SuppressWarnings("ArrayRecordComponent")
record ReferenceVector(int line, String text, int[] ids) {

  static List<ReferenceVector> read(Path jsonl) throws IOException {
    ObjectMapper mapper = new ObjectMapper();
    List<ReferenceVector> vectors = new ArrayList<>();
    try (BufferedReader reader = Files.newBufferedReader(jsonl, StandardCharsets.UTF_8)) {
      int number = 0;
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        number++;
        if (line.isBlank()) {
          continue;
        }
        JsonNode node = mapper.readTree(line);
        JsonNode ids = node.get("ids");
        int[] expected = new int[ids.size()];
        for (int i = 0; i < expected.length; i++) {
          expected[i] = ids.get(i).asInt();
        }
        vectors.add(new ReferenceVector(number, node.get("text").asText(), expected));
      }
    }
    return vectors;
  }

  @Override
  public String toString() {
    return "line " + line;
  }
}

package t2i.clip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClipTokenizerLoadingTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path huggingFaceDir;

  private static ClipTokenizer openAi;

  /**
   * Writes the OpenAI vocabulary in Hugging Face's layout: vocab.json from the ids the gz file
   * defines, merges.txt from its merge lines under a #version header.
   */
  @BeforeAll
  static void convertOpenAiVocabularyToHuggingFaceFiles() throws IOException {
    openAi = ReferenceFiles.openAiTokenizer();
    Vocabulary vocabulary = Vocabulary.readOpenAiMerges(ReferenceFiles.openAiVocabulary());
    Map<String, Integer> vocab = new LinkedHashMap<>();
    for (int id = 0; id < vocabulary.size(); id++) {
      vocab.put(vocabulary.token(id), id);
    }
    JSON.writeValue(huggingFaceDir.resolve("vocab.json").toFile(), vocab);
    List<String> merges = new ArrayList<>();
    merges.add("#version: 0.2");
    try (InputStream in =
        new GZIPInputStream(Files.newInputStream(ReferenceFiles.openAiVocabulary()))) {
      String[] lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n", -1);
      for (int i = 1; i <= 48894; i++) {
        merges.add(lines[i]);
      }
    }
    Files.write(huggingFaceDir.resolve("merges.txt"), merges, StandardCharsets.UTF_8);
  }

  @Test
  void load_openAiGz_hasClipSpecialTokensAndSize() {
    assertThat(openAi.vocabularySize()).isEqualTo(49408);
    assertThat(openAi.startOfTextId()).isEqualTo(49406);
    assertThat(openAi.endOfTextId()).isEqualTo(49407);
    assertThat(openAi.idOf("cat</w>")).hasValue(2368);
    assertThat(openAi.idOf("!")).hasValue(0);
    assertThat(openAi.idOf("no such token")).isEmpty();
  }

  @Test
  void load_huggingFaceFiles_giveSameIdsAsOpenAiGz() throws IOException {
    ClipTokenizer huggingFace = ClipTokenizer.load(huggingFaceDir);

    assertThat(huggingFace.vocabularySize()).isEqualTo(openAi.vocabularySize());
    assertThat(huggingFace.startOfTextId()).isEqualTo(openAi.startOfTextId());
    assertThat(huggingFace.endOfTextId()).isEqualTo(openAi.endOfTextId());
    List<ReferenceFiles.Vector> vectors =
        new ArrayList<>(
            ReferenceFiles.read(
                ReferenceFiles.shared().resolve("tokenizer/clip-reference-public.jsonl")));
    vectors.addAll(ReferenceFiles.readResource("clip-reference-extra.jsonl"));
    for (ReferenceFiles.Vector vector : vectors) {
      assertThat(huggingFace.encode(vector.text())).as("%s", vector).containsExactly(vector.ids());
    }
  }

  @Test
  void load_modelDirectoryWithTokenizerSubdirectory_readsHuggingFaceFiles(@TempDir Path model)
      throws IOException {
    Path tokenizer = Files.createDirectory(model.resolve("tokenizer"));
    Files.copy(huggingFaceDir.resolve("vocab.json"), tokenizer.resolve("vocab.json"));
    Files.copy(huggingFaceDir.resolve("merges.txt"), tokenizer.resolve("merges.txt"));
    Files.writeString(model.resolve("model_index.json"), "{}");

    ClipTokenizer fromModel = ClipTokenizer.load(model);

    String prompt = "A photo of an astronaut riding a horse on Mars";
    assertThat(fromModel.encode(prompt)).containsExactly(openAi.encode(prompt));
  }

  @Test
  void load_mergesWithoutVersionLine_ranksFromFirstLine(@TempDir Path dir) throws IOException {
    writeSmallVocabulary(dir, List.of("c a", "ca t</w>"), true);
    Files.write(dir.resolve("merges.txt"), List.of("c a", "ca t</w>"));

    ClipTokenizer tokenizer = ClipTokenizer.load(dir);

    assertThat(tokenizer.encode("cat")).containsExactly(tokenizer.idOf("cat</w>").getAsInt());
  }

  @Test
  void load_smallLearnedVocabulary_encodesWithItsMergesAndSpecialTokens(@TempDir Path dir)
      throws IOException {
    writeSmallVocabulary(dir, List.of("c a", "ca t</w>", "d o", "do g</w>", "a t</w>"), true);

    ClipTokenizer tokenizer = ClipTokenizer.load(dir);

    assertThat(tokenizer.vocabularySize()).isEqualTo(512 + 5 + 2);
    int cat = tokenizer.idOf("cat</w>").getAsInt();
    int dog = tokenizer.idOf("dog</w>").getAsInt();
    int at = tokenizer.idOf("at</w>").getAsInt();
    int b = tokenizer.idOf("b").getAsInt();
    assertThat(tokenizer.encode("Cat DOG bat")).containsExactly(cat, dog, b, at);
    assertThat(tokenizer.startOfTextId()).isEqualTo(517);
    assertThat(tokenizer.endOfTextId()).isEqualTo(518);
    assertThat(tokenizer.decode(tokenizer.encode("cat dog"))).isEqualTo("cat dog ");
  }

  @Test
  void encode_byteMissingFromSmallVocabulary_becomesEndOfText(@TempDir Path dir)
      throws IOException {
    Map<String, Integer> vocab = new LinkedHashMap<>();
    for (String token : List.of("a", "b", "a</w>", "b</w>", "<|startoftext|>", "<|endoftext|>")) {
      vocab.put(token, vocab.size());
    }
    JSON.writeValue(dir.resolve("vocab.json").toFile(), vocab);
    Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\n");

    ClipTokenizer tokenizer = ClipTokenizer.load(dir);

    assertThat(tokenizer.encode("ab z")).containsExactly(0, 3, 5);
    assertThat(tokenizer.tokenize("z")).containsExactly(new Token(5, "z", true));
  }

  @Test
  void load_directoryHoldingOpenAiGz_readsIt(@TempDir Path dir) throws IOException {
    Files.copy(ReferenceFiles.openAiVocabulary(), dir.resolve("bpe_simple_vocab_16e6.txt.gz"));

    assertThat(ClipTokenizer.load(dir).encode("a cat")).containsExactly(openAi.encode("a cat"));
  }

  @Test
  void load_missingPath_failsNamingThePath(@TempDir Path dir) {
    Path missing = dir.resolve("nowhere");

    assertThatThrownBy(() -> ClipTokenizer.load(missing))
        .isInstanceOf(NoSuchFileException.class)
        .hasMessageContaining(missing.toString());
  }

  @Test
  void load_emptyDirectory_failsListingExpectedFiles(@TempDir Path dir) {
    assertThatThrownBy(() -> ClipTokenizer.load(dir))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(dir.toString())
        .hasMessageContaining("vocab.json")
        .hasMessageContaining("merges.txt")
        .hasMessageContaining("bpe_simple_vocab_16e6.txt.gz");
  }

  @Test
  void load_vocabWithoutMerges_failsNamingTheMissingFile(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("vocab.json"), "{}");

    assertThatThrownBy(() -> ClipTokenizer.load(dir))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(dir.toString())
        .hasMessageContaining("no merges.txt");
  }

  @Test
  void load_fileThatIsNotGz_failsNamingExpectedFormats(@TempDir Path dir) throws IOException {
    Path text = Files.writeString(dir.resolve("vocab.txt"), "x");

    assertThatThrownBy(() -> ClipTokenizer.load(text))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(text.toString())
        .hasMessageContaining("bpe_simple_vocab_16e6.txt.gz");
  }

  @Test
  void load_gzNameWithoutGzipContent_failsNamingThePath(@TempDir Path dir) throws IOException {
    Path fake = Files.writeString(dir.resolve("fake.txt.gz"), "not gzip");

    assertThatThrownBy(() -> ClipTokenizer.load(fake))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(fake.toString());
  }

  @Test
  void load_smallOpenAiGz_buildsVocabularyAsReferenceDoes(@TempDir Path dir) throws IOException {
    Path gz = dir.resolve("tiny.txt.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
      out.write("#version: 0.2\nc a\nca t</w>\n".getBytes(StandardCharsets.UTF_8));
    }

    ClipTokenizer tokenizer = ClipTokenizer.load(gz);

    // As in the reference, the empty line after the final newline is a (never used) entry too.
    assertThat(tokenizer.vocabularySize()).isEqualTo(512 + 3 + 2);
    assertThat(tokenizer.encode("cat")).containsExactly(tokenizer.idOf("cat</w>").getAsInt());
  }

  @Test
  void load_malformedMergeLine_failsNamingFileAndLine(@TempDir Path dir) throws IOException {
    writeSmallVocabulary(dir, List.of("c a"), true);
    Files.write(dir.resolve("merges.txt"), List.of("#version: 0.2", "c a", "c a t"));

    assertThatThrownBy(() -> ClipTokenizer.load(dir))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("merges.txt line 3");
  }

  @Test
  void load_mergeOfUnknownToken_failsNamingTheLine(@TempDir Path dir) throws IOException {
    writeSmallVocabulary(dir, List.of("c a"), true);
    Files.write(dir.resolve("merges.txt"), List.of("#version: 0.2", "c a", "ca x</w>"));

    assertThatThrownBy(() -> ClipTokenizer.load(dir))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("merges.txt line 3")
        .hasMessageContaining("vocab.json lacks");
  }

  @Test
  void load_vocabularyWithoutSpecialTokens_failsNamingTheToken(@TempDir Path dir)
      throws IOException {
    writeSmallVocabulary(dir, List.of("c a"), false);

    assertThatThrownBy(() -> ClipTokenizer.load(dir))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("vocab.json")
        .hasMessageContaining("<|startoftext|>");
  }

  @Test
  void load_vocabJsonThatIsNotAnObject_failsNamingTheFile(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("vocab.json"), "[1, 2]");
    Files.writeString(dir.resolve("merges.txt"), "");

    assertThatThrownBy(() -> ClipTokenizer.load(dir))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("vocab.json");
  }

  /** The 512 byte tokens, one token per merge, optionally the special tokens; merges.txt too. */
  private static void writeSmallVocabulary(Path dir, List<String> merges, boolean specials)
      throws IOException {
    Map<String, Integer> vocab = new LinkedHashMap<>();
    for (char c : ByteLevelAlphabet.charsInTableOrder()) {
      vocab.put(String.valueOf(c), vocab.size());
    }
    for (char c : ByteLevelAlphabet.charsInTableOrder()) {
      vocab.put(c + "</w>", vocab.size());
    }
    for (String merge : merges) {
      vocab.put(merge.replace(" ", ""), vocab.size());
    }
    if (specials) {
      vocab.put("<|startoftext|>", vocab.size());
      vocab.put("<|endoftext|>", vocab.size());
    }
    JSON.writeValue(dir.resolve("vocab.json").toFile(), vocab);
    List<String> lines = new ArrayList<>();
    lines.add("#version: 0.2");
    lines.addAll(merges);
    Files.write(dir.resolve("merges.txt"), lines);
  }
}

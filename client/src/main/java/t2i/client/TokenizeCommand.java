package t2i.client;

import io.grpc.ManagedChannel;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import t2i.clip.ClipTokenizer;
import t2i.clip.Token;
import t2i.clip.prompt.PromptTokenizer;
import t2i.clip.prompt.TokenizedPrompt;
import t2i.v1.TextToImageGrpc;
import t2i.v1.TokenizeRequest;
import t2i.v1.TokenizeResponse;

/** {@code t2i tokenize}: see how prompts become token ids. */
@Command(
    name = "tokenize",
    mixinStandardHelpOptions = true,
    description = {
      "Batch: read JSON lines {\"text\": \"...\"} on stdin, write {\"ids\": [...]} per line (raw BPE"
          + " ids) with --vocab PATH.",
      "Explain: --explain \"PROMPT\" prints every token with its weight and window, using --vocab"
          + " PATH, a running gateway (--server), or this checkout's default model."
    })
public final class TokenizeCommand implements Callable<Integer> {

  @Option(
      names = "--vocab",
      paramLabel = "PATH",
      description =
          "bpe_simple_vocab_16e6.txt.gz, a directory with vocab.json + merges.txt, or a model"
              + " directory.")
  @Nullable Path vocab;

  @Option(names = "--explain", description = "Explain PROMPT as a table.")
  boolean explain;

  @Option(names = "--server", paramLabel = "HOST:PORT", description = "Ask this gateway.")
  @Nullable String server;

  @Option(names = "--model", description = "Model on the gateway (default: its default model).")
  String model = "";

  @Option(
      names = "--max-chunks",
      description = "Windows a prompt may fill when explaining locally (default ${DEFAULT-VALUE}).")
  int maxChunks = 8;

  @Parameters(arity = "0..1", paramLabel = "PROMPT", description = "The prompt to explain.")
  @Nullable String prompt;

  // Picocli creates every mixin before the command runs.
  @SuppressWarnings("NullAway.Init")
  @Mixin
  ApiKeyOption apiKey;

  @Override
  public Integer call() throws IOException, InterruptedException {
    Path vocab = this.vocab;
    String prompt = this.prompt;
    if (!explain) {
      if (vocab == null || prompt != null) {
        throw new IllegalArgumentException(
            "batch mode reads JSON lines on stdin and needs --vocab PATH; to see one prompt, use"
                + " --explain \"PROMPT\"");
      }
      BufferedReader in =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8), 1 << 16);
      BufferedWriter out =
          new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
      JsonLinesTokenizer.run(ClipTokenizer.load(vocab), in, out);
      return 0;
    }
    if (prompt == null) {
      throw new IllegalArgumentException("--explain needs the PROMPT to explain");
    }
    String server = this.server;
    if (server != null) {
      explainRemotely(server, prompt);
    } else {
      explainLocally(vocab != null ? vocab : defaultModel(), prompt);
    }
    return 0;
  }

  private void explainRemotely(String server, String prompt) throws InterruptedException {
    ManagedChannel channel = Channels.open(server, apiKey.value());
    try {
      TokenizeResponse response =
          TextToImageGrpc.newBlockingStub(channel)
              .withDeadlineAfter(30, TimeUnit.SECONDS)
              .tokenize(TokenizeRequest.newBuilder().setPrompt(prompt).setModel(model).build());
      List<TokenRow> rows =
          response.getTokensList().stream()
              .map(
                  t ->
                      new TokenRow(
                          t.getId(),
                          t.getText(),
                          t.getByteFragment(),
                          t.getWeight(),
                          t.getChunk(),
                          t.getPosition(),
                          t.getCutOff()))
              .toList();
      TokenTable.print(
          System.out,
          response.getModel(),
          response.getWindow(),
          response.getMaxChunks(),
          response.getChunkCount(),
          rows);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private void explainLocally(Path path, String prompt) throws IOException {
    Path tokenizerDir =
        Files.isDirectory(path.resolve("tokenizer")) ? path.resolve("tokenizer") : path;
    PromptTokenizer tokenizer = PromptTokenizer.load(tokenizerDir);
    TokenizedPrompt tokenized = tokenizer.tokenize(prompt, maxChunks);
    List<TokenRow> rows =
        tokenized.tokens().stream()
            .map(
                placed -> {
                  Token token = tokenizer.tokenizer().token(placed.id());
                  return new TokenRow(
                      placed.id(),
                      token.displayText(),
                      token.isByteFragment(),
                      placed.weight(),
                      placed.chunk(),
                      placed.position(),
                      placed.isCutOff());
                })
            .toList();
    TokenTable.print(
        System.out,
        path.getFileName().toString(),
        tokenizer.framing().window(),
        maxChunks,
        tokenized.chunks().size(),
        rows);
  }

  /** The checkout's default model: the first model directory by name, as the services pick it. */
  private static Path defaultModel() throws IOException {
    Path models = Path.of(System.getProperty("t2i.home", ".")).resolve("models");
    if (Files.isDirectory(models)) {
      try (Stream<Path> dirs = Files.list(models)) {
        List<Path> found =
            dirs.filter(d -> Files.isRegularFile(d.resolve("model_index.json"))).sorted().toList();
        if (!found.isEmpty()) {
          return found.getFirst();
        }
      }
    }
    throw new IllegalArgumentException(
        "no model found in "
            + models.toAbsolutePath()
            + "; give --vocab PATH or --server HOST:PORT");
  }
}

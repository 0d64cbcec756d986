package t2i.client;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/** Prints how a prompt was tokenized as a table people can read. */
final class TokenTable {

  private TokenTable() {}

  static void print(
      PrintStream out, String model, int window, int maxChunks, int chunks, List<TokenRow> rows) {
    long cutOff = rows.stream().filter(TokenRow::cutOff).count();
    long fragments = rows.stream().filter(TokenRow::byteFragment).count();
    out.printf(
        Locale.ROOT,
        "model %s: %d tokens in %d window%s of %d (at most %d), %s%s%n",
        model,
        rows.size(),
        chunks,
        chunks == 1 ? "" : "s",
        window,
        maxChunks,
        cutOff == 0 ? "nothing cut off" : cutOff + " cut off",
        fragments == 0 ? "" : ", " + fragments + " raw byte fragments");
    out.printf(
        Locale.ROOT,
        "%5s  %6s  %3s  %6s  %6s  %s%n",
        "#",
        "window",
        "pos",
        "id",
        "weight",
        "token");
    int n = 0;
    for (TokenRow row : rows) {
      n++;
      String note = row.cutOff() ? "  (cut off)" : row.byteFragment() ? "  (byte fragment)" : "";
      out.printf(
          Locale.ROOT,
          "%5d  %6s  %3s  %6d  %6.2f  %s%s%n",
          n,
          row.cutOff() ? "-" : Integer.toString(row.chunk()),
          row.cutOff() ? "-" : Integer.toString(row.position()),
          row.id(),
          row.weight(),
          row.text(),
          note);
    }
  }
}

package t2i.benchmarks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * Writes a Hugging Face {@code tokenizer.json} for CLIP's fast tokenizer, as {@code transformers}
 * converts OpenAI's tokenizer:
 *
 * <ul>
 *   <li>normalizer: NFC, every {@code \s+} run to one space, lower case;
 *   <li>pre-tokenizer: CLIP's word pattern (the words kept, what lies between them dropped), then
 *       the byte-level alphabet without GPT-2's own pattern;
 *   <li>model: BPE with the {@code </w>} end-of-word suffix and {@code <|endoftext|>} as unknown
 *       token;
 *   <li>the two special tokens as added tokens, recognised in the normalized text as OpenAI's
 *       pattern recognises them in the lower-cased text.
 * </ul>
 *
 * <p>There is no post-processor: the benchmarks compare raw ids, without start and end tokens. What
 * the normalizer cannot do is OpenAI's {@code ftfy.fix_text} and {@code html.unescape}.
 */
final class ClipTokenizerJson {

  /** OpenAI's pattern without the special tokens, which the added tokens take care of. */
  static final String WORD_PATTERN =
      "'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";

  private ClipTokenizerJson() {}

  static String of(ClipVocabulary vocabulary) {
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode root = mapper.createObjectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    ArrayNode added = root.putArray("added_tokens");
    List<String> tokens = vocabulary.tokens();
    for (String special : List.of(ClipVocabulary.START_OF_TEXT, ClipVocabulary.END_OF_TEXT)) {
      added
          .addObject()
          .put("id", tokens.indexOf(special))
          .put("content", special)
          .put("single_word", false)
          .put("lstrip", false)
          .put("rstrip", false)
          .put("normalized", true)
          .put("special", true);
    }
    root.set("normalizer", normalizer(mapper));
    root.set("pre_tokenizer", preTokenizer(mapper));
    root.putNull("post_processor");
    root.set("decoder", byteLevel(mapper, true, true));
    root.set("model", model(mapper, vocabulary));
    try {
      return mapper.writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a tree of plain nodes always serializes", e);
    }
  }

  private static ObjectNode normalizer(ObjectMapper mapper) {
    ObjectNode sequence = mapper.createObjectNode().put("type", "Sequence");
    ArrayNode steps = sequence.putArray("normalizers");
    steps.addObject().put("type", "NFC");
    ObjectNode replace = steps.addObject().put("type", "Replace");
    replace.putObject("pattern").put("Regex", "\\s+");
    replace.put("content", " ");
    steps.addObject().put("type", "Lowercase");
    return sequence;
  }

  private static ObjectNode preTokenizer(ObjectMapper mapper) {
    ObjectNode sequence = mapper.createObjectNode().put("type", "Sequence");
    ArrayNode steps = sequence.putArray("pretokenizers");
    ObjectNode split = steps.addObject().put("type", "Split");
    split.putObject("pattern").put("Regex", WORD_PATTERN);
    // Inverted: the matches are the pieces; the text between them (whitespace) is removed.
    split.put("behavior", "Removed").put("invert", true);
    steps.add(byteLevel(mapper, false, false));
    return sequence;
  }

  private static ObjectNode byteLevel(ObjectMapper mapper, boolean addPrefixSpace, boolean regex) {
    return mapper
        .createObjectNode()
        .put("type", "ByteLevel")
        .put("add_prefix_space", addPrefixSpace)
        .put("trim_offsets", true)
        .put("use_regex", regex);
  }

  private static ObjectNode model(ObjectMapper mapper, ClipVocabulary vocabulary) {
    ObjectNode model =
        mapper
            .createObjectNode()
            .put("type", "BPE")
            .putNull("dropout")
            .put("unk_token", ClipVocabulary.END_OF_TEXT)
            .put("continuing_subword_prefix", "")
            .put("end_of_word_suffix", ClipVocabulary.END_OF_WORD)
            .put("fuse_unk", false)
            .put("byte_fallback", false)
            .put("ignore_merges", false);
    ObjectNode vocab = model.putObject("vocab");
    List<String> tokens = vocabulary.tokens();
    for (int id = 0; id < tokens.size(); id++) {
      vocab.put(tokens.get(id), id);
    }
    ArrayNode merges = model.putArray("merges");
    vocabulary.merges().forEach(merges::add);
    return model;
  }
}

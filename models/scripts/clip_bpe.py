"""CLIP-style byte-level BPE: vocabulary learning, encoding and the tokenizer/ directory files.

The tokenization is the one the Java tokenizer applies to every model:
  * text is lower-cased and runs of whitespace collapse to one space (then stripped);
  * words come from CLIP's pre-tokenizer pattern (PRETOKENIZE_PATTERN below);
  * each word is turned into UTF-8 bytes, each byte into one printable "byte character"
    (byte_to_unicode), the word's last symbol gets the end-of-word suffix "</w>", and the
    merges are applied lowest rank first;
  * framing: [<|startoftext|>] + ids + [<|endoftext|>], padded with <|endoftext|> to 77.

Vocabulary order (Hugging Face CLIPTokenizer vocab.json, as in OpenAI's CLIP):
  ids 0..255   the 256 byte characters, in byte_to_unicode's ordering,
  ids 256..511 the same characters with "</w>",
  then one token per merge, in merge order,
  then <|startoftext|> and <|endoftext|>; <|endoftext|> therefore has the highest id, which
  CLIP-style pooling (argmax over input_ids) relies on.
"""
import collections
import json
import os

import regex

BOS = "<|startoftext|>"
EOS = "<|endoftext|>"
END_OF_WORD = "</w>"
CONTEXT_LENGTH = 77
PRETOKENIZE_PATTERN = regex.compile(
    r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
    regex.IGNORECASE,
)


def byte_to_unicode():
    """Maps each byte 0..255 to a printable character; returns an ordered dict (byte -> char).

    Bytes that are already printable, non-space Latin-1 characters ('!'..'~', '¡'..'¬', '®'..'ÿ')
    stand for themselves and come first; the remaining bytes, in increasing order, take the
    code points 256, 257, ... . The dict's insertion order is the vocabulary order of ids 0..255.
    """
    printable = [b for b in range(256)
                 if ord("!") <= b <= ord("~") or ord("¡") <= b <= ord("¬") or ord("®") <= b <= ord("ÿ")]
    mapping = collections.OrderedDict((b, chr(b)) for b in printable)
    extra = 0
    for b in range(256):
        if b not in mapping:
            mapping[b] = chr(256 + extra)
            extra += 1
    return mapping


BYTE_CHARS = byte_to_unicode()


def normalize(text):
    return " ".join(text.lower().split())


def pretokenize(text):
    return PRETOKENIZE_PATTERN.findall(normalize(text))


def word_symbols(word):
    """A word as its initial symbol sequence: byte characters, the last one with </w>."""
    chars = [BYTE_CHARS[b] for b in word.encode("utf-8")]
    chars[-1] = chars[-1] + END_OF_WORD
    return tuple(chars)


def learn_merges(texts, num_merges, min_count=2):
    """Learns up to num_merges BPE merges from texts (an iterable of strings).

    Pair counts are weighted by word frequency; ties go to the lexicographically smallest pair
    so the result is deterministic. Stops early when no pair occurs min_count times.
    """
    word_counts = collections.Counter()
    for text in texts:
        for word in pretokenize(text):
            if word in (BOS, EOS):
                continue
            word_counts[word_symbols(word)] += 1
    words = {w: c for w, c in word_counts.items()}
    merges = []
    while len(merges) < num_merges:
        pairs = collections.Counter()
        for symbols, count in words.items():
            for a, b in zip(symbols, symbols[1:]):
                pairs[(a, b)] += count
        if not pairs:
            break
        best_count = max(pairs.values())
        if best_count < min_count:
            break
        best = min(p for p, c in pairs.items() if c == best_count)
        merges.append(best)
        merged = best[0] + best[1]
        new_words = {}
        for symbols, count in words.items():
            out = []
            i = 0
            while i < len(symbols):
                if i + 1 < len(symbols) and symbols[i] == best[0] and symbols[i + 1] == best[1]:
                    out.append(merged)
                    i += 2
                else:
                    out.append(symbols[i])
                    i += 1
            key = tuple(out)
            new_words[key] = new_words.get(key, 0) + count
        words = new_words
    return merges


def build_vocab(merges):
    base = list(BYTE_CHARS.values())
    tokens = base + [c + END_OF_WORD for c in base] + [a + b for a, b in merges] + [BOS, EOS]
    vocab = {}
    for token in tokens:
        if token in vocab:
            raise ValueError("duplicate token %r" % token)
        vocab[token] = len(vocab)
    return vocab


class Tokenizer:
    """Encodes text with a vocabulary and merge list in CLIP's byte-level BPE."""

    def __init__(self, vocab, merges):
        self.vocab = vocab
        self.ranks = {tuple(m): i for i, m in enumerate(merges)}
        self.cache = {}
        self.bos_id = vocab[BOS]
        self.eos_id = vocab[EOS]

    @classmethod
    def from_dir(cls, directory):
        with open(os.path.join(directory, "vocab.json"), encoding="utf-8") as f:
            vocab = json.load(f)
        with open(os.path.join(directory, "merges.txt"), encoding="utf-8") as f:
            lines = f.read().split("\n")
        merges = [tuple(l.split(" ")) for l in lines[1:] if l.strip()]
        return cls(vocab, merges)

    def bpe(self, word):
        if word in self.cache:
            return self.cache[word]
        symbols = list(word_symbols(word))
        while len(symbols) > 1:
            best_rank, best_i = None, None
            for i in range(len(symbols) - 1):
                r = self.ranks.get((symbols[i], symbols[i + 1]))
                if r is not None and (best_rank is None or r < best_rank):
                    best_rank, best_i = r, i
            if best_rank is None:
                break
            pair = (symbols[best_i], symbols[best_i + 1])
            out = []
            i = 0
            while i < len(symbols):
                if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
                    out.append(pair[0] + pair[1])
                    i += 2
                else:
                    out.append(symbols[i])
                    i += 1
            symbols = out
        self.cache[word] = symbols
        return symbols

    def encode(self, text):
        """Token ids of text, without framing."""
        ids = []
        for word in pretokenize(text):
            if word in (BOS, EOS):
                ids.append(self.vocab[word])
            else:
                ids.extend(self.vocab[s] for s in self.bpe(word))
        return ids

    def frame(self, text, length=CONTEXT_LENGTH):
        """[BOS] + ids + [EOS], truncated to length (EOS kept), padded with EOS."""
        ids = self.encode(text)[: length - 2]
        framed = [self.bos_id] + ids + [self.eos_id]
        return framed + [self.eos_id] * (length - len(framed))


def write_tokenizer_dir(directory, merges):
    """Writes vocab.json, merges.txt, tokenizer_config.json and special_tokens_map.json."""
    os.makedirs(directory, exist_ok=True)
    vocab = build_vocab(merges)
    with open(os.path.join(directory, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False, indent=None, separators=(",", ":"))
    with open(os.path.join(directory, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write("%s %s\n" % (a, b))
    special = {
        "bos_token": BOS,
        "eos_token": EOS,
        "pad_token": EOS,
        "unk_token": EOS,
    }
    config = dict(special)
    config.update({
        "tokenizer_class": "CLIPTokenizer",
        "model_max_length": CONTEXT_LENGTH,
        "do_lower_case": True,
        "add_prefix_space": False,
        "errors": "replace",
    })
    with open(os.path.join(directory, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    with open(os.path.join(directory, "special_tokens_map.json"), "w", encoding="utf-8") as f:
        json.dump(special, f, indent=2)
        f.write("\n")
    return vocab

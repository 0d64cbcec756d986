"""Writes clip-reference-extra.jsonl: inputs that exercise every cleaning step of
the CLIP reference tokenizer, each with the ids the reference produces.

The reference is OpenAI CLIP's `simple_tokenizer.py` with ftfy 6.3.1 and the
`regex` module; none of it is part of this project. The committed vectors were
made with Python 3.11.7 and regex 2026.5.9, the versions the character tables
in src/main/resources come from. Put `simple_tokenizer.py` (from openai/CLIP,
as a top-level module) and the `ftfy` package on PYTHONPATH:

    PYTHONPATH=/tmp/ref python3 generate_reference_vectors.py \
        ../../../../../shared/models/clip-vit-l-14-tokenizer/bpe_simple_vocab_16e6.txt.gz \
        ../resources/t2i/clip/clip-reference-extra.jsonl
"""

import json
import random
import sys

from simple_tokenizer import SimpleTokenizer

PHRASES = [
    "café au lait",
    "naïve façade",
    "schön Grüße aus Köln",
    "voilà le travail",
    "à la mode",
    "Čeština",
    "Polski: zażółć gęślą jaźń",
    "Ελληνικά κείμενα",
    "Русский текст",
    "Türkçe: İstanbul ağaç",
    "Lietuvių kalba",
    "“smart quotes” and ‘single’ ones…",
    "price: 5 €, © 2024 ™",
    "日本語のテキスト",
    "emoji 😀 test",
    "Ångström · ½ · naïveté",
    "¯\\_(ツ)_/¯",
    "✔ No problems",
    "São Paulo – “cidade”",
    "ﬁnal ﬂow",
]

ENCODINGS = [
    "windows-1252",
    "latin-1",
    "windows-1251",
    "windows-1250",
    "windows-1253",
    "windows-1254",
    "windows-1257",
    "iso-8859-2",
    "macroman",
    "cp437",
]


def mojibake(text, encoding):
    return text.encode("utf-8").decode(encoding, errors="replace")


def mojibake_cases():
    cases = []
    for phrase in PHRASES:
        for encoding in ENCODINGS:
            cases.append(("mojibake-" + encoding, mojibake(phrase, encoding)))
    for phrase in PHRASES[:8]:
        once = mojibake(phrase, "windows-1252")
        cases.append(("mojibake-double", mojibake(once, "windows-1252")))
        cases.append(("mojibake-nbsp-as-space", once.replace("\xa0", " ")))
        cases.append(("mojibake-embedded", "plain text " + phrase + " then " + once))
        cases.append(("mojibake-line-mix", phrase + "\n" + once + "\r\n" + phrase))
    cases += [
        ("mojibake-lossy", "â€œ like this â€\ufffd"),
        ("mojibake-lossy", "It\u00e2\u20ac\u2122s a \u00e2\u20ac\ufffdtest"),
        ("mojibake-c0-null", "null \u00c3\u0080 here"),
        ("mojibake-cesu", "\u00ed\u00a0\u00bd\u00ed\u00b8\u0080 smile"),
        ("mojibake-cesu-newline", "x \u00ed\u00a0\u00bd\u00ed\u00b8\n"),
        ("mojibake-java-null", "A\u00c0\u0080B \u00e9\u00e9"),
        ("mojibake-c1", "\u0093quoted\u0094 and \u0085 ellipsis"),
        ("mojibake-c1", "broken\u0081 undefined"),
        ("mojibake-a-grave", "Ã la carte, fÃ cil, Ã s vezes, Ã quele"),
        ("mojibake-a-grave", "Ã  la mode"),
        ("mojibake-kaomoji", "(╯°□°)╯︵ ┻━┻"),
        ("mojibake-negative", "ÃƒÂ©tÃƒÂ© etÃ©"),
        ("mojibake-macroman", "‚Äú smart ‚Äù"),
        ("mojibake-1251", "вЂњquotesвЂќ"),
        ("mojibake-arabic", "ÙƒÙ„Ù…Ø© Ø¹Ø±Ø¨ÙŠØ©"),
        ("mojibake-entities", "&macr;\\_(ã\x83\x84)_/&macr;"),
        ("mojibake-false-positive", "Pérez ÀÉÎÕÜ ×² ß€ Ã©"),
        ("mojibake-sloppy-fffd", "\ufffd\ufffd test \u00e2\u20ac"),
    ]
    return cases


def fixed_cases():
    return [
        ("quotes", "it’s ‘single’ “double” „low“ ‚x‛ ‟y‟ ʼn"),
        ("quotes", "don’t WON’T they’ll I’m we’ve you’re he’d"),
        ("quotes", "＇fullwidth＇ ＂quote＂"),
        ("ligatures", "ﬁnal ﬂow ﬀ ﬃ ﬄ ﬅ ﬆ"),
        ("ligatures", "Ĳssel ĳs ŉ Ǳ ǲ ǳ Ǆ ǅ ǆ Ǉ ǈ ǉ Ǌ ǋ ǌ"),
        ("ligatures", "it'ﬅ bea'ﬆ"),
        ("width", "ＬＯＵＤ　ＮＯＩＳＥＳ １２３ ａｂｃ！？"),
        ("width", "ｳﾀｰﾝ ﾊﾝｶｸ ﾞﾟ ｡｢｣､･"),
        ("width", "ﾡﾢﾣ ￠￡￢￣￤￥￦ ｟｠ ￨￩￪￫￬￭￮"),
        ("width", "\uff1c|startoftext|\uff1e"),
        ("cjk", "東京の夜景、ネオン、雨"),
        ("cjk", "한국어 텍스트와 숫자 123"),
        ("cjk", "中文，标点。“引号”"),
        ("scripts", "ภาษาไทย ไม่มีช่องว่าง"),
        ("scripts", "עברית עם ניקוד שָׁלוֹם"),
        ("scripts", "ქართული ენა  Հայերեն"),
        ("scripts", "ᏣᎳᎩ ᐃᓄᒃᑎᑐᑦ ᚠᚢᚦᚨᚱᚲ"),
        ("emoji", "👨‍👩‍👧‍👦 family 🧑🏽‍🚀 astronaut"),
        ("emoji", "❤️ ❤ ☺️ ✌🏿 👍🏻"),
        ("emoji", "🇺🇸🇯🇵🇩🇪 flags"),
        ("emoji", "🏴󠁧󠁢󠁷󠁬󠁳󠁿 wales"),
        ("emoji", "1️⃣ #️⃣ *️⃣ keycaps"),
        ("emoji", "😀" * 30),
        ("combining", "e\u0301 a\u0308 o\u0302\u0323 n\u0303"),
        ("combining", "a\u0323\u0302 vs a\u0302\u0323"),
        ("combining", "\u1100\u1161\u11a8 hangul jamo"),
        ("combining", "\u0345 a\u0345b !\u0345! \u03b1\u0345"),
        ("combining", "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349\u035a\u032f\u031e\u0320\u034dA\u036b\u0357\u0334\u0362\u0335\u031c\u0330\u0354L\u0368\u0367\u0369\u0358\u0320G\u0311\u0357\u030e\u0305\u035b\u0341\u0334\u033b\u0348\u034d\u0354\u0339O\u0342\u030c\u030c\u0358\u0328\u0335\u0339\u033b\u031d\u0333"),
        ("combining", "\u0915\u094d\u0937 \u0928\u093f\u0930\u094d\u092d\u092f"),
        ("case", "İstanbul DİYARBAKIR ıi Iİ"),
        ("case", "STRASSE straße ẞ ß"),
        ("case", "ΟΔΥΣΣΕΥΣ ΣΑΣ Σ ΑΣ. ΑΣ'Α ΑΣ\u0301 Σ\u0301Α"),
        ("case", "ΌΣΟΣ ΣΊΣΥΦΟΣ σίσυφος"),
        ("case", "ǅ ǈ ǋ ǲ ᾈ ᾼ"),
        ("case", "ᏣᎳᎩ ꭰꭱ Ⰰⰰ Ａａ 𐐀𐐨 𞤀𞤢"),
        ("case", "K Å Ω ſ ﬅ"),
        ("math", "∑ ∫ √ ∞ ≈ ≠ ≤ ≥ π θ λ ∂ ∇ ⊕ ⊗"),
        ("math", "x² + y³ = z¹, ½ ¾ ⅓ ⅞, 10⁻³, H₂O"),
        ("math", "Ⅻ ⅻ ↉ ① ⑳ ⓐ Ⓐ ❶ 𝟘𝟙 𝐀𝐁𝐂 𝔸𝔹"),
        ("numbers", "٠١٢٣ ۴۵۶ ०१२ ৩৪ ๕๖ ၇၈ 1234567890"),
        ("numbers", "3.14159 1,000,000 -42 +7 1e10 0x1F"),
        ("html", "&amp; &lt;b&gt; &quot;hi&quot; &#39;x&#39;"),
        ("html", "&amp;lt; &amp;amp;amp; &amp;amp;lt;tag&amp;amp;gt;"),
        ("html", "&nbsp;&nbsp;x &copy &copy; &COPY; &Copy; &reg"),
        ("html", "&EACUTE; &SZLIG; &NTILDE; &nTILDE; P&EACUTE;REZ BUNDESSTRA&SZLIG;E"),
        ("html", "&notit; &not; &not x &notin; &ampx &amperand"),
        ("html", "&#65;&#x42;&#X43;&#68 &#x45 &#0; &#128; &#x85; &#x9F;"),
        ("html", "&#xD800; &#xDFFF; &#1114111; &#1114112; &#99999999999999999999;"),
        ("html", "&#x1F600; &#128512; &#xFFFF; &#xFDD0; &#x1B; &#13; &#11;"),
        ("html", "&Tab;x&NewLine;y&ThickSpace;z &nbsp &NoBreak; &ZeroWidthSpace;"),
        ("html", "&Jscr;ohn &HilbertSpace;ancock &checkmark; &fjlig; &bne; &nvlt;"),
        ("html", "&#20x6; &#; &#x; &; &&amp;& &amp"),
        ("html", "a < b &amp; c &gt; d"),
        ("html", "&amp; first\n<b>bold</b> &amp; second\n&amp; third"),
        ("html", "&amp; first\nsecond &lt;\nthird &amp;amp;"),
        ("html", "&amp;#39; &amp;quot; &#38;amp; &#38;#38;amp;"),
        ("html", "&lt;|endoftext|&gt; &lt;|startoftext|&gt;"),
        ("html", "&" + "a" * 40 + "; &" + "b" * 31 + ";"),
        ("html", "&AMP &AMP; &LT &GT; &QUOT &lt &gt"),
        ("spaces", "a\u00a0b\u1680c\u2000d\u2001e\u2002f\u2003g\u2004h\u2005i\u2006j"),
        ("spaces", "k\u2007l\u2008m\u2009n\u200ao\u202fp\u205fq\u3000r"),
        ("spaces", "s\u2028t\u2029u\u0085v\u180ew\u200bx\ufeffy\u2060z"),
        ("spaces", "\x1cA\x1dB\x1eC\x1fD\x1c"),
        ("spaces", " \t\n\x0b\x0c\r leading and trailing \t\n\x0b\x0c\r "),
        ("spaces", "multiple    spaces\t\tand\t\ttabs\n\n\nnewlines"),
        ("spaces", "\u00a0\u3000 wide \u3000\u00a0"),
        ("spaces", "   "),
        ("spaces", ""),
        ("control", "\x00nul\x00 \x01\x02\x03\x04\x05\x06\x07\x08 bell"),
        ("control", "del\x7f \x0e\x0f\x10\x11\x1a\x1b esc"),
        ("control", "\x1b[31mred\x1b[0m \x1b[1;32mgreen\x1b[m \x1b[38;5;208morange"),
        ("control", "\x1b[\u0663\u0661m arabic digits \x1b[x"),
        ("control", "\u206a\u206b\u206c\u206d\u206e\u206f deprecated \ufff9\ufffa\ufffb\ufffc"),
        ("control", "\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e kept"),
        ("control", "\x80\x81\x82\x83\x84\x85\x86\x87\x88\x89\x8a\x8b\x8c\x8d\x8e\x8f"),
        ("control", "\x90\x91\x92\x93\x94\x95\x96\x97\x98\x99\x9a\x9b\x9c\x9d\x9e\x9f"),
        ("linebreaks", "one\r\ntwo\rthree\u2028four\u2029five\x85six"),
        ("linebreaks", "\r\n\r\n"),
        ("surrogates", "\ud800 lone high"),
        ("surrogates", "lone low \udfff end"),
        ("surrogates", "\udc00\ud800 reversed"),
        ("surrogates", "a\ud83db"),
        ("contractions", "IT'S WE'RE I'M THEY'LL HE'D WE'VE DON'T"),
        ("contractions", "'s 't 're 've 'm 'll 'd 'x ''s it's' rock'n'roll"),
        ("contractions", "it'ſ that'ſ '\u017ft"),
        ("special", "<|startoftext|>a photo<|endoftext|>"),
        ("special", "<|STARTOFTEXT|> <|EndOfText|> <|ſtartoftext|>"),
        ("special", ".<|endoftext|> x<|endoftext|>y <|endoftext| <|endoftext"),
        ("special", "<|startoftext|><|startoftext|><|endoftext|>"),
        ("long", "a" * 1000),
        ("long", "supercalifragilisticexpialidocious" * 20),
        ("long", "!?" * 300),
        ("long", "1234567890" * 50),
        ("private-use", "\ue000\uf8ff \U000f0000 \U0010fffd"),
        ("noncharacters", "\ufdd0 \ufffe \uffff \U0001fffe \U0010ffff"),
        ("unassigned", "\u0378 \u0c5c \U0001e030 \U00010d50 \U00031350"),
        ("tags", "\U000e0001\U000e0041\U000e007f tags"),
        ("symbols", "©®™ §¶ †‡ • … ‰ ′″ ‹› «» ¡¿ ¦ ¨ ¯ ´ ¸"),
        ("symbols", "←↑→↓ ■□▪▫ ●○ ★☆ ♠♣♥♦ ♪♫ ☀☁☂ ⚡ ✓✗"),
        ("symbols", "$ € £ ¥ ₩ ₹ ₽ ₿ ¢ ¤"),
        ("punctuation", "hello, world! what's up? (yes) [no] {maybe} <tag> \"q\" `b` ~t"),
        ("punctuation", "a--b...c___d///e\\\\f@@g##h%%i^^j**k&&l"),
        ("prompt", "A photo of an astronaut riding a horse on Mars, 4k, trending on artstation"),
        ("prompt", "masterpiece, best quality, (ultra-detailed:1.2), [[blue eyes]], {red hair}"),
        ("prompt", "portrait of a woman, by Greg Rutkowski and Alphonse Mucha, 8K UHD"),
    ]


def random_cases(rng):
    pools = [
        (0x20, 0x7E),
        (0x80, 0x24F),
        (0x370, 0x52F),
        (0x2000, 0x206F),
        (0x3000, 0x30FF),
        (0x4E00, 0x4FFF),
        (0xFF00, 0xFFEF),
        (0x1F300, 0x1F6FF),
        (0xD800, 0xDFFF),
        (0x0, 0x10FFFF),
    ]
    cases = []
    for _ in range(60):
        chars = []
        for _ in range(rng.randint(1, 24)):
            lo, hi = rng.choice(pools)
            chars.append(chr(rng.randint(lo, hi)))
        cases.append(("random", "".join(chars)))
    # Mojibake made of random Latin-1 text read with a random codec.
    for _ in range(30):
        text = "".join(chr(rng.randint(0xA0, 0x17F)) for _ in range(rng.randint(1, 8)))
        cases.append(("random-mojibake", mojibake(text, rng.choice(ENCODINGS))))
    return cases


def canonical(text):
    # A Java String cannot tell a high+low surrogate pair from the character it
    # encodes, so present such pairs to the reference already combined.
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def main(vocab, out):
    tokenizer = SimpleTokenizer(vocab)
    rng = random.Random(20240611)
    cases = fixed_cases() + mojibake_cases() + random_cases(rng)
    seen = set()
    with open(out, "w", encoding="ascii", newline="\n") as f:
        for label, text in cases:
            text = canonical(text)
            if text in seen:
                continue
            seen.add(text)
            ids = tokenizer.encode(text)
            f.write(json.dumps({"case": label, "text": text, "ids": ids}) + "\n")
    print(len(seen), "vectors written to", out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

"""A seeded synthetic parallel NER corpus: English-like sentences and a derived language "syn".

It lets the whole pipeline (translate, align, project, train, distil) run offline in minutes.

English side: short sentences (5-20 words) built from clause patterns (subject, verb, object,
prepositional and time phrases) filled from word lists and gazetteers of PER, ORG and LOC
entities of one to three words. Deliberate traps: capitalised non-entities (sentence-initial
words, days, months, titles such as "President"), first names that are also places
("Jordan", "Florence"), place names inside organisations ("Bank of Ghana").

Target side "syn", derived phrase by phrase from the same structure, so sentence i of each
side is a translation of the other:

1. lexicon substitution: every English word outside proper names becomes a fixed pseudo-word
   (``report`` -> e.g. ``velomi``), one-to-one, case kept; this is the bilingual lexicon;
2. local reordering: noun phrases put the noun first (``the new report`` -> ``report new
   the``), prepositions become postpositions (``in Lagos`` -> ``Lagos in``), titles follow
   the name, ``X of Y`` organisations become ``Y X`` (``of`` dropped), the generic word of a
   place follows the name (``Lake Victoria`` -> ``Victoria Lake``);
3. entity transliteration: proper-name words are respelled (ph->f, th->t, c->k, w->v, y->i,
   j->dj, doubled letters single, ...), so ``Smith`` -> ``Smit``;
4. affixes on names: the last word of a person's name takes ``-a`` after a consonant and
   ``-n`` after a vowel (``John Smith`` -> ``Djon Smita``);
5. ``that`` after ``said`` has no counterpart, and a quarter of the sentences end with the
   particle ``bo`` before the full stop: words with no translation.

Machine translation. Besides the two human sides, every sentence has a seeded *machine*
translation in each direction (``SyntheticCorpus.machine``, served by ``translator=synthetic_mt``),
made the way a weak MT system errs: each phrase of the sentence is, with probability
``MT_LITERAL``, translated word by word in the source's order (``Lagos in`` -> ``Lagos in``,
``Djon Smita`` kept as spelt, ``Bank of Ghana`` -> ``Banko ov Gana`` with no affix), otherwise
fluently (as the human side); ``bo`` is copied into the English half the time. Its random
stream is separate, so the human sides are the same with or without it. Projecting through it
gives the aligner what real MT gives it: partly reordered, partly literal text.

Every random choice comes from ``random.Random`` seeded with a string derived from ``seed``
(string seeds hash with SHA-512, independent of PYTHONHASHSEED), and all iteration is over
lists, so one seed always gives byte-identical files.
"""

import argparse
import json
import os
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from xner.data.conll import TaggedSentence, write_conll

VERSION = 1
LEXICON_FILE = "lexicon.tsv"
LANGS = ("en", "syn")
SPLITS = ("train", "dev", "test")
MIN_WORDS, MAX_WORDS = 5, 20

DETERMINERS = ["the", "a", "this", "every"]
NOUNS = [
    "report", "meeting", "plan", "project", "school", "market", "road", "bridge", "hospital",
    "farm", "company", "contract", "budget", "election", "storm", "festival", "team", "match",
    "agreement", "factory", "village", "river", "harvest", "loan", "policy", "law", "survey",
    "office", "museum", "bank", "council", "union",
]  # fmt: skip
ADJECTIVES = [
    "new", "large", "small", "important", "old", "recent", "local", "national", "difficult",
    "public", "annual", "expensive",
]  # fmt: skip
TRANSITIVE = [
    "visited", "praised", "criticised", "joined", "left", "supported", "met", "called",
    "thanked", "funded", "opened", "closed", "approved", "rejected", "announced", "signed",
    "built", "described",
]  # fmt: skip
INTRANSITIVE = ["arrived", "spoke", "waited", "returned", "worked", "stayed", "travelled", "failed"]
PLACE_PREPOSITIONS = ["in", "from", "to", "near"]
ORG_PREPOSITIONS = ["with", "for", "against"]
NP_PREPOSITIONS = ["with", "after", "before", "about", "during"]
ADVERBS = ["yesterday", "today", "later", "meanwhile", "however", "earlier"]
TIME_NOUNS = ["week", "month", "year"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
]  # fmt: skip
TITLES = ["President", "Minister", "Doctor", "Professor", "Governor", "Mr", "Mrs"]
OTHER_WORDS = ["on", "last", "and", "said", "that", "was", "were", "also", "of", "not"]

FIRST_NAMES = [
    "John", "Mary", "Amina", "Kwame", "Chinedu", "Fatima", "Peter", "Grace", "Ibrahim", "Ngozi",
    "David", "Sarah", "Musa", "Aisha", "Joseph", "Esther", "Samuel", "Halima", "Daniel", "Ruth",
    "Jordan", "Florence", "Georgia", "Victoria", "Chad",
]  # fmt: skip
LAST_NAMES = [
    "Okafor", "Mensah", "Smith", "Banda", "Diallo", "Kamau", "Mwangi", "Johnson", "Adeyemi",
    "Nkosi", "Traore", "Osei", "Phiri", "Williams", "Hassan", "Ochieng", "Moyo", "Keita",
    "Brown", "Otieno",
]  # fmt: skip
PLACES = [
    "Lagos", "Nairobi", "Accra", "Kampala", "Dakar", "Paris", "London", "Berlin", "Cairo",
    "Lusaka", "Harare", "Kigali", "Jordan", "Florence", "Georgia", "Chad", "Ghana", "Kenya",
    "Nigeria", "Senegal", "Uganda", "Zambia", "Mali",
]  # fmt: skip
# (generic word, proper name): the generic word is translated and follows the name in syn.
GENERIC_PLACES = [
    ("Lake", "Victoria"), ("Lake", "Chad"), ("Mount", "Kenya"), ("Cape", "Town"), ("New", "York"),
    ("South", "Africa"), ("North", "Kivu"), ("Port", "Harcourt"),
]  # fmt: skip
PROPER_PLACES = [["Sierra", "Leone"], ["Burkina", "Faso"], ["Dar", "es", "Salaam"]]
BRANDS = ["Safaricom", "Dangote", "Reuters", "Unilever", "Ecobank", "Interpol", "Oxfam", "Zenith"]
ORG_SUFFIXES = ["Bank", "Group", "Airways", "Holdings", "Foundation", "Motors", "Times", "Union"]
ORG_HEADS = ["Bank", "University", "Ministry", "Council", "Court"]
FIXED_ORGS = [["United", "Nations"], ["African", "Union"], ["World", "Bank"], ["Red", "Cross"]]
PARTICLE = "bo"
PUNCTUATION = (",", ".")
MT_LITERAL = 0.4  # the share of phrases the synthetic MT translates word by word, in source order

# Proper-name respelling, applied in one left-to-right pass after doubled letters are merged.
_RESPELL = {
    "ph": "f", "th": "t", "sh": "s", "ch": "c", "ck": "k", "qu": "kw",
    "c": "k", "q": "k", "x": "ks", "w": "v", "y": "i", "j": "dj",
}  # fmt: skip
_RESPELL_PATTERN = re.compile("|".join(sorted(_RESPELL, key=len, reverse=True)))
_VOWELS = "aeiou"


def transliterate(word: str) -> str:
    """Respell a proper-name word the syn way (``Smith`` -> ``Smit``), keeping its capital."""
    lower = re.sub(r"(.)\1", r"\1", word.lower())
    out = _RESPELL_PATTERN.sub(lambda m: _RESPELL[m.group(0)], lower)
    return out[:1].upper() + out[1:] if word[:1].isupper() else out


def name_affix(word: str) -> str:
    """The person-name suffix of syn: ``-a`` after a consonant, ``-n`` after a vowel."""
    return word + ("n" if word[-1:].lower() in _VOWELS else "a")


def _capitalise(word: str) -> str:
    return word[:1].upper() + word[1:]


@dataclass
class Token:
    word: str
    tag: str = "O"


@dataclass
class Phrase:
    """One phrase realised in both languages (already in each language's word order)."""

    en: list[Token]
    syn: list[Token]


def _entity(label: str, en_words: Sequence[str], syn_words: Sequence[str]) -> Phrase:
    def tagged(words: Sequence[str]) -> list[Token]:
        return [Token(w, ("B-" if i == 0 else "I-") + label) for i, w in enumerate(words)]

    return Phrase(tagged(en_words), tagged(syn_words))


@dataclass
class SyntheticCorpus:
    """Parallel splits (sentence i of en <-> sentence i of syn), the en -> syn lexicon and the
    machine translations: ``machine[(src, tgt)][split][i]`` translates sentence i of ``src``."""

    seed: int
    sentences: dict[str, dict[str, list[TaggedSentence]]]
    lexicon: dict[str, str] = field(default_factory=dict)
    machine: dict[tuple[str, str], dict[str, list[list[str]]]] = field(default_factory=dict)

    def split(self, lang: str, split: str) -> list[TaggedSentence]:
        return self.sentences[lang][split]

    @property
    def unlabelled(self) -> list[list[str]]:
        """Unlabelled target text: the words of the syn training sentences."""
        return [list(s.words) for s in self.sentences["syn"]["train"]]


def english_vocabulary() -> list[str]:
    """Lower-case words that the lexicon translates (everything except proper names)."""
    words = [
        *DETERMINERS, *NOUNS, *ADJECTIVES, *TRANSITIVE, *INTRANSITIVE, *PLACE_PREPOSITIONS,
        *ORG_PREPOSITIONS, *NP_PREPOSITIONS, *ADVERBS, *TIME_NOUNS, *DAYS, *MONTHS, *TITLES,
        *OTHER_WORDS, *ORG_SUFFIXES, *ORG_HEADS, *(g for g, _ in GENERIC_PLACES),
        *(w for org in FIXED_ORGS for w in org),
    ]  # fmt: skip
    return sorted({w.lower() for w in words})


def _name_forms() -> set[str]:
    names = [*FIRST_NAMES, *LAST_NAMES, *PLACES, *BRANDS]
    names += [p for _, p in GENERIC_PLACES] + [w for place in PROPER_PLACES for w in place]
    forms = {transliterate(n).lower() for n in names}
    forms |= {name_affix(f) for f in list(forms)}
    return forms | {n.lower() for n in names}


def make_lexicon(seed: int) -> dict[str, str]:
    """One-to-one en -> syn word map, both lower-case and capitalised forms."""
    rng = random.Random(f"xner-synthetic-{seed}-lexicon")
    consonants, vowels = "bdfgklmnprstvz", _VOWELS
    vocabulary = english_vocabulary()
    taken = set(vocabulary) | _name_forms() | {PARTICLE}
    lexicon: dict[str, str] = {}
    for word in vocabulary:
        syllables = min(3, max(1, len(word) // 3))
        while True:
            pseudo = "".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(syllables))
            if rng.random() < 0.3:
                pseudo += rng.choice("lmnr")
            if pseudo not in taken:
                break
        taken.add(pseudo)
        lexicon[word] = pseudo
    for word in vocabulary:
        lexicon[_capitalise(word)] = _capitalise(lexicon[word])
    return dict(sorted(lexicon.items()))


class _Generator:
    """Builds parallel sentences phrase by phrase from one random stream."""

    def __init__(self, rng: random.Random, lexicon: dict[str, str]) -> None:
        self.rng = rng
        self.lexicon = lexicon

    def tr(self, word: str) -> str:
        return word if word in PUNCTUATION else self.lexicon[word]

    def words(self, *words: str) -> Phrase:
        """Plain words, translated one by one in the same order."""
        return Phrase([Token(w) for w in words], [Token(self.tr(w)) for w in words])

    def person(self) -> Phrase:
        r = self.rng.random()
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        if r < 0.25:
            en = [first]
        elif r < 0.80:
            en = [first, last]
        elif r < 0.92:
            en = [first, self.rng.choice(FIRST_NAMES), last]
        else:
            en = [last]
        syn = [transliterate(w) for w in en]
        syn[-1] = name_affix(syn[-1])
        return _entity("PER", en, syn)

    def place(self) -> Phrase:
        r = self.rng.random()
        if r < 0.7:
            name = self.rng.choice(PLACES)
            return _entity("LOC", [name], [transliterate(name)])
        if r < 0.9:
            generic, name = self.rng.choice(GENERIC_PLACES)
            return _entity("LOC", [generic, name], [transliterate(name), self.tr(generic)])
        words = self.rng.choice(PROPER_PLACES)
        return _entity("LOC", words, [transliterate(w) for w in words])

    def organisation(self) -> Phrase:
        r = self.rng.random()
        if r < 0.3:
            brand = self.rng.choice(BRANDS)
            return _entity("ORG", [brand], [transliterate(brand)])
        if r < 0.6:
            name = self.rng.choice([*LAST_NAMES, *PLACES, *BRANDS])
            suffix = self.rng.choice(ORG_SUFFIXES)
            return _entity("ORG", [name, suffix], [transliterate(name), self.tr(suffix)])
        if r < 0.85:
            head, place = self.rng.choice(ORG_HEADS), self.rng.choice(PLACES)
            return _entity("ORG", [head, "of", place], [transliterate(place), self.tr(head)])
        words = self.rng.choice(FIXED_ORGS)
        return _entity("ORG", words, [self.tr(w) for w in words])

    def noun_phrase(self) -> Phrase:
        det = self.rng.choice(DETERMINERS)
        adjectives = self.rng.sample(ADJECTIVES, self.rng.choice([0, 0, 1, 1, 2]))
        noun = self.rng.choice(NOUNS)
        if det == "a" and (adjectives or [noun])[0][0] in _VOWELS:
            det = "the"
        en = [det, *adjectives, noun]
        syn = [noun, *adjectives, det]
        return Phrase([Token(w) for w in en], [Token(self.tr(w)) for w in syn])

    def titled_person(self) -> Phrase:
        title, person = self.rng.choice(TITLES), self.person()
        return Phrase([Token(title), *person.en], [*person.syn, Token(self.tr(title))])

    def subject(self) -> Phrase:
        return self._pick(
            [(0.35, self.person), (0.15, self.titled_person), (0.25, self.organisation)],
            self.noun_phrase,
        )

    def object(self) -> Phrase:
        return self._pick(
            [(0.2, self.person), (0.25, self.organisation), (0.3, self.place)], self.noun_phrase
        )

    def adpositional(self) -> Phrase:
        """English preposition + object; syn puts the adposition after its object."""
        r = self.rng.random()
        if r < 0.5:
            prep, obj = self.rng.choice(PLACE_PREPOSITIONS), self.place()
        elif r < 0.7:
            prep, obj = self.rng.choice(ORG_PREPOSITIONS), self.organisation()
        else:
            prep, obj = self.rng.choice(NP_PREPOSITIONS), self.noun_phrase()
        return Phrase([Token(prep), *obj.en], [*obj.syn, Token(self.tr(prep))])

    def time(self) -> Phrase:
        r = self.rng.random()
        if r < 0.4:
            prep, head = "on", self.rng.choice(DAYS)
        elif r < 0.7:
            prep, head = "in", self.rng.choice(MONTHS)
        else:
            prep, head = "last", self.rng.choice(TIME_NOUNS)
        return Phrase([Token(prep), Token(head)], [Token(self.tr(head)), Token(self.tr(prep))])

    def _pick(self, weighted, default):
        r = self.rng.random()
        for weight, make in weighted:
            if r < weight:
                return make()
            r -= weight
        return default()

    def _maybe(self, probability: float, make) -> list[Phrase]:
        return [make()] if self.rng.random() < probability else []

    def clause(self) -> list[Phrase]:
        """One clause of a pattern drawn by its share (cumulative upper bounds below)."""
        pattern = self.rng.random()
        for upper, make in (
            (0.35, self._transitive),
            (0.55, self._intransitive),
            (0.72, self._reported),
            (0.87, self._coordinated),
        ):
            if pattern < upper:
                return make()
        return self._descriptive()

    def _transitive(self) -> list[Phrase]:
        return [
            self.subject(),
            self.words(self.rng.choice(TRANSITIVE)),
            self.object(),
            *self._maybe(0.5, self.adpositional),
            *self._maybe(0.3, self.time),
        ]

    def _intransitive(self) -> list[Phrase]:
        adverb = self._maybe(0.4, lambda: self.words(self.rng.choice(ADVERBS), ","))
        return [
            *adverb,
            self.subject(),
            self.words(self.rng.choice(INTRANSITIVE)),
            self.adpositional(),
            *self._maybe(0.4, self.time),
        ]

    def _reported(self) -> list[Phrase]:
        said = Phrase([Token("said"), Token("that")], [Token(self.tr("said"))])
        return [
            self.subject(),
            said,
            self.subject(),
            self.words(self.rng.choice(TRANSITIVE)),
            self.object(),
            *self._maybe(0.3, self.adpositional),
        ]

    def _coordinated(self) -> list[Phrase]:
        return [
            self.person(),
            self.words("and"),
            self.subject(),
            self.words(self.rng.choice(TRANSITIVE)),
            self.object(),
            *self._maybe(0.3, self.time),
        ]

    def _descriptive(self) -> list[Phrase]:
        adverb = self._maybe(0.5, lambda: self.words(self.rng.choice(ADVERBS), ","))
        return [
            *adverb,
            self.noun_phrase(),
            self.words("was", self.rng.choice(ADJECTIVES)),
            *self._maybe(0.6, self.adpositional),
        ]

    def sentence(self) -> tuple[TaggedSentence, TaggedSentence]:
        return self.phrased_sentence()[0]

    def phrased_sentence(self) -> tuple[tuple[TaggedSentence, TaggedSentence], list[Phrase]]:
        """The sentence pair and its phrases (the particle, if any, the last phrase's syn)."""
        while True:
            phrases = self.clause()
            en = [t for p in phrases for t in p.en] + [Token(".")]
            syn = [t for p in phrases for t in p.syn]
            particle = [Token(PARTICLE)] if self.rng.random() < 0.25 else []
            syn += [*particle, Token(".")]
            if all(MIN_WORDS <= len(side) <= MAX_WORDS for side in (en, syn)):
                phrases = [*phrases, Phrase([Token(".")], [*particle, Token(".")])]
                return (_sentence(en), _sentence(syn)), phrases


class _MachineTranslator:
    """The synthetic MT: each phrase fluent (the other human side) or literal (word by word in
    the source's order: syn words back through the lexicon, names kept as spelt; English
    words through the lexicon, names transliterated without the person affix)."""

    def __init__(self, rng: random.Random, lexicon: dict[str, str]) -> None:
        self.rng = rng
        self.lexicon = lexicon
        self.inverse = {syn: en for en, syn in lexicon.items()}

    def to_en(self, phrases: Sequence[Phrase]) -> list[str]:
        words = []
        for phrase in phrases:
            if self.rng.random() < MT_LITERAL:
                words += [self.inverse.get(t.word, t.word) for t in phrase.syn]
            else:
                words += [t.word for t in phrase.en]
            if phrase.syn[0].word == PARTICLE and self.rng.random() < 0.5:
                words.insert(len(words) - 1, PARTICLE)  # copied, as MT copies a word it lacks
        return _capitalised(words)

    def to_syn(self, phrases: Sequence[Phrase]) -> list[str]:
        words = []
        for phrase in phrases:
            if self.rng.random() < MT_LITERAL:
                words += [self._literal(t.word) for t in phrase.en]
            else:
                words += [t.word for t in phrase.syn if t.word != PARTICLE]
        return _capitalised(words)

    def _literal(self, word: str) -> str:
        if word in PUNCTUATION:
            return word
        return self.lexicon.get(word) or self.lexicon.get(word.lower()) or transliterate(word)


def _capitalised(words: list[str]) -> list[str]:
    return [_capitalise(words[0]), *words[1:]] if words else words


def _sentence(tokens: list[Token]) -> TaggedSentence:
    words = [t.word for t in tokens]
    words[0] = _capitalise(words[0])
    return TaggedSentence(words, [t.tag for t in tokens])


def generate(
    seed: int = 0, n_train: int = 400, n_dev: int = 100, n_test: int = 100
) -> SyntheticCorpus:
    """The corpus for ``seed``; each split has its own random stream, so sizes do not interact."""
    lexicon = make_lexicon(seed)
    sentences: dict[str, dict[str, list[TaggedSentence]]] = {lang: {} for lang in LANGS}
    machine: dict[tuple[str, str], dict[str, list[list[str]]]] = {
        ("en", "syn"): {},
        ("syn", "en"): {},
    }
    for split, size in zip(SPLITS, (n_train, n_dev, n_test), strict=True):
        generator = _Generator(random.Random(f"xner-synthetic-{seed}-{split}"), lexicon)
        made = [generator.phrased_sentence() for _ in range(size)]
        sentences["en"][split] = [en for (en, _), _ in made]
        sentences["syn"][split] = [syn for (_, syn), _ in made]
        mt = _MachineTranslator(random.Random(f"xner-synthetic-{seed}-{split}-mt"), lexicon)
        machine.setdefault(("syn", "en"), {})[split] = [mt.to_en(phrases) for _, phrases in made]
        machine.setdefault(("en", "syn"), {})[split] = [mt.to_syn(phrases) for _, phrases in made]
    return SyntheticCorpus(seed, sentences, lexicon, machine)


def _write_atomic(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def write_lexicon(path: str | os.PathLike, lexicon: dict[str, str]) -> Path:
    """``source word<TAB>target word`` lines (en -> syn), sorted, written atomically."""
    lines = "".join(f"{en}\t{syn}\n" for en, syn in sorted(lexicon.items()))
    return _write_atomic(Path(path), lines)


def write_corpus(corpus: SyntheticCorpus, folder: str | os.PathLike) -> Path:
    """Write ``{lang}/{split}.txt`` CoNLL files, ``syn/unlabelled.txt``, ``lexicon.tsv``.

    The lexicon is written last: its presence marks a complete corpus folder.
    """
    folder = Path(folder)
    sizes = {}
    for lang in LANGS:
        for split in SPLITS:
            write_conll(folder / lang / f"{split}.txt", corpus.split(lang, split))
            sizes[split] = len(corpus.split(lang, split))
    unlabelled = "".join(" ".join(words) + "\n" for words in corpus.unlabelled)
    _write_atomic(folder / "syn" / "unlabelled.txt", unlabelled)
    info = {"generator": "xner.data.synthetic", "version": VERSION, "seed": corpus.seed, **sizes}
    _write_atomic(folder / "corpus.json", json.dumps(info, sort_keys=True) + "\n")
    write_lexicon(folder / LEXICON_FILE, corpus.lexicon)
    return folder


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m xner.data.synthetic FOLDER``: write a corpus for a look or for other tools."""
    parser = argparse.ArgumentParser(prog="python -m xner.data.synthetic", description=main.__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-train", type=int, default=400)
    parser.add_argument("--n-dev", type=int, default=100)
    parser.add_argument("--n-test", type=int, default=100)
    args = parser.parse_args(argv)
    folder = write_corpus(generate(args.seed, args.n_train, args.n_dev, args.n_test), args.folder)
    print(f"wrote the synthetic corpus (seed {args.seed}) to {folder}")


if __name__ == "__main__":
    main()

"""Dataset language codes -> the codes each translation-model family expects.

Dataset codes are the ones the data sources use: ISO 639-3 for MasakhaNER 2.0 (``hau``,
``yor``, ...), ISO 639-1 for WikiANN / XTREME PAN-X and Europarl (``de``, ``sw``, ...).
A language missing from a family's table is one the family's models were not trained on
(NLLB-200 has no Ghomálá' ``bbj`` and no Nigerian Pidgin ``pcm``); asking for it is a
ConfigError naming the language and the model.
"""

from collections.abc import Mapping

from xner.data.corpora import MASAKHANER2, WIKIANN
from xner.errors import ConfigError

FAMILIES = ("nllb", "m2m100", "marian")

# MasakhaNER 2.0 (20 languages) + English/Europarl + WikiANN / XTREME PAN-X (40 languages).
NLLB: dict[str, str] = {
    # MasakhaNER 2.0 (bbj and pcm are not NLLB-200 languages)
    "bam": "bam_Latn",
    "ewe": "ewe_Latn",
    "fon": "fon_Latn",
    "hau": "hau_Latn",
    "ibo": "ibo_Latn",
    "kin": "kin_Latn",
    "lug": "lug_Latn",
    "luo": "luo_Latn",
    "mos": "mos_Latn",
    "nya": "nya_Latn",
    "sna": "sna_Latn",
    "swa": "swh_Latn",
    "tsn": "tsn_Latn",
    "twi": "twi_Latn",
    "wol": "wol_Latn",
    "xho": "xho_Latn",
    "yor": "yor_Latn",
    "zul": "zul_Latn",
    # English and the Europarl-NER languages
    "en": "eng_Latn",
    "eng": "eng_Latn",
    "de": "deu_Latn",
    "es": "spa_Latn",
    "it": "ita_Latn",
    # WikiANN / XTREME PAN-X
    "af": "afr_Latn",
    "ar": "arb_Arab",
    "bg": "bul_Cyrl",
    "bn": "ben_Beng",
    "el": "ell_Grek",
    "et": "est_Latn",
    "eu": "eus_Latn",
    "fa": "pes_Arab",
    "fi": "fin_Latn",
    "fr": "fra_Latn",
    "he": "heb_Hebr",
    "hi": "hin_Deva",
    "hu": "hun_Latn",
    "id": "ind_Latn",
    "ja": "jpn_Jpan",
    "jv": "jav_Latn",
    "ka": "kat_Geor",
    "kk": "kaz_Cyrl",
    "ko": "kor_Hang",
    "ml": "mal_Mlym",
    "mr": "mar_Deva",
    "ms": "zsm_Latn",
    "my": "mya_Mymr",
    "nl": "nld_Latn",
    "pt": "por_Latn",
    "ru": "rus_Cyrl",
    "sw": "swh_Latn",
    "ta": "tam_Taml",
    "te": "tel_Telu",
    "th": "tha_Thai",
    "tl": "tgl_Latn",
    "tr": "tur_Latn",
    "ur": "urd_Arab",
    "vi": "vie_Latn",
    "yo": "yor_Latn",
    "zh": "zho_Hans",
}

# M2M-100 covers 100 languages with ISO 639-1 style codes (transformers' "m2m100" list).
M2M100: dict[str, str] = {
    "hau": "ha",
    "ibo": "ig",
    "lug": "lg",
    "swa": "sw",
    "tsn": "tn",
    "wol": "wo",
    "xho": "xh",
    "yor": "yo",
    "zul": "zu",
    "eng": "en",
    **{
        code: code
        for code in (
            "en de es it af ar bg bn el et fa fi fr he hi hu id ja jv ka kk ko ml mr ms my "
            "nl pt ru sw ta th tl tr ur vi yo zh"
        ).split()
    },
}

KNOWN = frozenset([*MASAKHANER2, *WIKIANN, "en", "eng", "de", "es", "it"])
TABLES: dict[str, dict[str, str]] = {"nllb": NLLB, "m2m100": M2M100}


def unsupported(family: str) -> list[str]:
    """Known dataset languages that ``family`` does not cover (e.g. bbj and pcm for NLLB)."""
    table = TABLES.get(family)
    return [] if table is None else sorted(code for code in KNOWN if code not in table)


def model_code(
    lang: str, family: str, model: str = "", overrides: Mapping[str, str] | None = None
) -> str:
    """The code ``model`` (of ``family``) uses for dataset language ``lang``.

    ``overrides`` (dataset code -> model code) wins over the table, for new languages or
    fine-tuned checkpoints with extra codes.
    """
    if overrides and lang in overrides:
        return overrides[lang]
    if family not in TABLES:
        raise ConfigError(
            f"translator family {family!r} has no language-code table "
            f"(choose one of {', '.join(TABLES)} or give lang_codes)"
        )
    table = TABLES[family]
    if lang in table:
        return table[lang]
    if lang in table.values():
        return lang
    name = model or family
    if lang in KNOWN:
        raise ConfigError(
            f"language {lang!r} is not covered by {name} ({family}); "
            "choose another translator or add lang_codes for a model that covers it"
        )
    raise ConfigError(
        f"unknown language code {lang!r} for {name} ({family}); "
        f"add it with translator.lang_codes={{{lang}: <model code>}}"
    )

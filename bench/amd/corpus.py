"""Synthetic call corpus for AMD: `python -m bench.amd.corpus --out DIR [--n N] [--seed S]`.

Speech comes from espeak-ng (Russian and English voices); sox applies tempo changes and the
300-3400 Hz telephone band-pass; numpy adds gain, noise at 10-50 dB SNR, G.711 mu-law/A-law
and lost frames. Writes DIR/*.wav, DIR/labels.csv, DIR/manifest.json and DIR/library/ (clean
recordings of the robots, `<lib_id>.wav`, for `--library`).
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from amd.audio import (
    RATE,
    alaw_decode,
    alaw_encode,
    decode_audio,
    ulaw_decode,
    ulaw_encode,
    wav_bytes,
    write_wav,
)

F = NDArray[np.float64]

HUMAN_RU = ["Алло?", "Да?", "Да, слушаю.", "Алло, да.", "Слушаю вас.", "Алло? Да, слушаю.", "Да, говорите.",
            "Компания Ромашка, Анна, слушаю вас.", "Добрый день, отдел продаж, Сергей.", "Алло, кто это?",
            "Да, здравствуйте.", "Приёмная, добрый день."]
HUMAN_EN = ["Hello?", "Yes, hello.", "Hello, this is John speaking.", "Hi, who is this?", "Yeah?",
            "Good afternoon, Acme sales, Mary speaking."]
VOICEMAIL_RU = [
    "Здравствуйте, вы позвонили Ивану. Я не могу сейчас ответить, оставьте сообщение после сигнала.",
    "Абонент временно недоступен. Пожалуйста, оставьте голосовое сообщение после звукового сигнала.",
    "Привет, это Маша. Меня сейчас нет, перезвоню, как только смогу. Говорите после гудка.",
    "Вы позвонили в офис компании Вектор. Рабочий день закончен, оставьте сообщение, и мы перезвоним.",
    "Здравствуйте. Сейчас я не могу подойти к телефону. Оставьте, пожалуйста, ваше имя и номер.",
]
VOICEMAIL_EN = ["Hi, you have reached Tom. I can't take your call right now, please leave a message after the tone.",
                "The person you are calling is not available. Please record your message after the beep."]
SHORT_VOICEMAIL = ["Оставьте сообщение.", "Говорите после сигнала.", "Leave a message.", "Ждите сигнала."]
SECRETARY_RU = [
    "Здравствуйте, я виртуальный помощник. Представьтесь, пожалуйста, и скажите, по какому вы вопросу.",
    "Добрый день! Это голосовой ассистент абонента. Назовите себя и цель звонка, я передам.",
]
ROBOT_RU = [
    "Здравствуйте! Вы позвонили в компанию Альфа. Ваш звонок очень важен для нас, оставайтесь на линии.",
    "Добрый день. Это автоматическая служба банка. Для продолжения нажмите один или дождитесь ответа.",
    "Внимание! Номер, на который вы звоните, обслуживается роботом. Говорите после сигнала, пожалуйста.",
    "Здравствуйте, это служба доставки. Ваш заказ готов, для подтверждения скажите да.",
    "Алло, здравствуйте! Меня зовут Алиса, я секретарь. Чем могу помочь?",
    "Вас приветствует автоответчик оператора связи. Абонент просил не беспокоить.",
    "Добрый вечер! Компания Энергия, отдел продаж. Все операторы заняты, ожидайте.",
    "Hello! Thank you for calling Global Services. Your call is important to us, please hold.",
]
SIT_ANNOUNCE = ["Неправильно набран номер.", "Номер не существует.", "The number you have dialed is not in service."]
RU_VARIANTS = ["m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5", "klatt", "klatt2"]

LABEL_SHARE = [("human", 0.40), ("voicemail", 0.24), ("robot", 0.20), ("silence", 0.06), ("sit", 0.05),
               ("fax", 0.05)]


@dataclass
class Item:
    file: str
    label: str
    answer_at_s: float | None = None
    speech_onset_s: float | None = None
    first_utterance_end_s: float | None = None
    lib_id: str | None = None
    kind: str = ""
    text: str = ""


# sox dithers every 16-bit output of an effect chain with noise seeded from the clock, so without
# -R ("repeatable": a fixed seed) no two runs of one seed produced the same corpus: every clip's low
# bits differed, and through the channel model's thresholds so did labels and scores.
SOX_REPEATABLE = ("-R",)


class Synth:
    """espeak-ng + sox; a clip is float64 at 8 kHz, already band-limited."""

    def __init__(self) -> None:
        for tool in ("espeak-ng", "sox"):
            if shutil.which(tool) is None:
                sys.exit(f"{tool} is not installed (apt-get install espeak-ng sox libsox-fmt-all)")

    def speak(self, text: str, voice: str, speed: int, pitch: int, tempo: float) -> F:
        wav = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", text],
                             capture_output=True, check=True).stdout
        effects = ["tempo", "-s", f"{tempo:.3f}"] if abs(tempo - 1.0) > 1e-3 else []
        out = subprocess.run(["sox", *SOX_REPEATABLE, "-t", "wav", "-", "-t", "wav", "-", *effects, "sinc", "300-3400",
                              "rate", str(RATE)], input=wav, capture_output=True, check=True).stdout
        x = decode_audio(out, "espeak").astype(np.float64)
        return _trim(x)


    def tempo(self, x: F, factor: float) -> F:
        """Tempo change that keeps the pitch (sox WSOLA), as a replayed recording would sound."""
        wav = wav_bytes(np.clip(np.round(x), -32768, 32767).astype(np.int16))
        out = subprocess.run(["sox", *SOX_REPEATABLE, "-t", "wav", "-", "-t", "wav", "-", "tempo", "-s",
                              f"{factor:.3f}"],
                             input=wav, capture_output=True, check=True).stdout
        return decode_audio(out, "sox").astype(np.float64)


def _trim(x: F, thr: float = 60.0) -> F:
    idx = np.nonzero(np.abs(x) > thr)[0]
    return x[idx[0]: idx[-1] + 1] if len(idx) else x


def tone(freqs: tuple[float, ...], seconds: float, level: float = 6000.0) -> F:
    t = np.arange(int(seconds * RATE)) / RATE
    x = sum(np.sin(2 * np.pi * f * t) for f in freqs) * level / len(freqs)
    ramp = min(len(t) // 4, 40)
    if ramp:
        env = np.ones(len(t))
        env[:ramp] = np.linspace(0, 1, ramp)
        env[-ramp:] = np.linspace(1, 0, ramp)
        x = x * env
    return np.asarray(x, dtype=np.float64)


def silence(seconds: float) -> F:
    return np.zeros(max(int(seconds * RATE), 0))


class Builder:
    def __init__(self, rng: np.random.Generator, synth: Synth) -> None:
        self.rng = rng
        self.synth = synth

    def voice(self, english: bool) -> tuple[str, int, int]:
        r = self.rng
        base = "en" if english else "ru"
        return f"{base}+{r.choice(RU_VARIANTS)}", int(r.integers(160, 215)), int(r.integers(25, 75))

    def say(self, text: str, english: bool = False, tempo: float | None = None) -> F:
        voice, speed, pitch = self.voice(english)
        return self.synth.speak(text, voice, speed, pitch, tempo if tempo is not None else self.tempo())

    def tempo(self) -> float:
        return float(1.0 + self.rng.uniform(-0.03, 0.03))

    def early_media(self) -> F:
        """Ringback before answer on some calls (Russian 425 Hz, 1 s on / 4 s off)."""
        if self.rng.random() < 0.4:
            return np.concatenate([tone((425.0,), 1.0, 3000.0), silence(self.rng.uniform(0.3, 1.5))])
        return silence(0.0)


def _robot_clip(synth: Synth, k: int) -> F:
    """The k-th library robot: a fixed recording, the same on every call."""
    text = ROBOT_RU[k % len(ROBOT_RU)] if k < len(ROBOT_RU) else f"{ROBOT_RU[k % len(ROBOT_RU)]} Код {k}."
    english = text.startswith(("Hello", "Thank"))
    voice = ("en" if english else "ru") + "+" + RU_VARIANTS[(k * 5) % len(RU_VARIANTS)]
    return synth.speak(text, voice, 150 + (k * 13) % 40, 30 + (k * 17) % 40, 1.0)


def _channel(x: F, rng: np.random.Generator, speech_rms: float | None) -> tuple[F, dict[str, object]]:
    gain_db = float(rng.uniform(-20.0, 6.0))
    y = x * 10 ** (gain_db / 20)
    snr = float(rng.uniform(10.0, 50.0))
    ref = (speech_rms or 1500.0) * 10 ** (gain_db / 20)
    noise = rng.normal(0.0, ref / 10 ** (snr / 20), len(y))
    # Line noise is band-limited like the speech: a crude first-order smoothing is enough.
    noise = np.convolve(noise, np.array([0.5, 0.5]), mode="same") * np.sqrt(2)
    y = y + noise
    y = np.clip(np.round(y), -32768, 32767).astype(np.int16)
    codec = str(rng.choice(["pcmu", "pcma", "l16"], p=[0.45, 0.45, 0.1]))
    if codec == "pcmu":
        y = ulaw_decode(ulaw_encode(y))
    elif codec == "pcma":
        y = alaw_decode(alaw_encode(y))
    lost = 0
    if rng.random() < 0.5:
        n_frames = len(y) // 160
        drop = rng.random(n_frames) < rng.uniform(0.0, 0.03)
        for i in np.nonzero(drop)[0]:
            y[i * 160:(i + 1) * 160] = 0
        lost = int(drop.sum())
    return y.astype(np.float64), {"gain_db": round(gain_db, 1), "snr_db": round(snr, 1), "codec": codec,
                                  "lost_frames": lost}


def _rms(x: F) -> float:
    loud = x[np.abs(x) > 100]
    return float(np.sqrt(np.mean(loud ** 2))) if len(loud) else 1500.0


def build_item(b: Builder, label: str, robots: list[F], idx: int) -> tuple[F, Item, float | None]:
    r = b.rng
    item = Item(file=f"{idx:05d}_{label}.wav", label=label)
    pre = b.early_media() if label != "sit" else silence(0.0)
    answer = len(pre) / RATE
    parts: list[F] = [pre]
    speech_rms: float | None = None

    def add(x: F) -> float:
        """Append, returning the start time of the part."""
        start = sum(len(p) for p in parts) / RATE
        parts.append(x)
        return start

    if label == "human":
        english = r.random() < 0.2
        text = str(r.choice(HUMAN_EN if english else HUMAN_RU))
        sp = b.say(text, english)
        add(silence(r.uniform(0.15, 1.2)))
        onset = add(sp)
        item.speech_onset_s, item.first_utterance_end_s = onset, onset + len(sp) / RATE
        if r.random() < 0.3:
            # People who hear nothing repeat themselves.
            add(silence(r.uniform(1.6, 2.4)))
            add(b.say(str(r.choice(["Алло?", "Алло, говорите!", "Hello?"])), english))
        add(silence(r.uniform(2.0, 3.0)))
        item.kind, item.text, speech_rms = "person", text, _rms(sp)
    elif label == "voicemail":
        short = r.random() < 0.3
        english = r.random() < 0.2
        text = str(r.choice(SHORT_VOICEMAIL if short else (VOICEMAIL_EN if english else VOICEMAIL_RU)))
        sp = b.say(text, english and not short)
        add(silence(r.uniform(0.1, 0.8)))
        onset = add(sp)
        item.speech_onset_s = onset
        beep = short or r.random() < 0.85
        if beep:
            add(silence(r.uniform(0.1, 0.5)))
            add(tone((float(r.choice([1000.0, 1400.0, 850.0, 440.0, 2000.0, float(r.uniform(500, 1900))])),),
                     r.uniform(0.25, 0.9)))
        add(silence(r.uniform(1.0, 2.0)))
        item.kind, item.text, speech_rms = "short voicemail" if short else ("voicemail" if beep else
                                                                             "voicemail, no beep"), text, _rms(sp)
    elif label == "robot":
        if robots and r.random() < 0.8:
            k = int(r.integers(0, len(robots)))
            sp = robots[k]
            t = b.tempo()
            if abs(t - 1.0) > 1e-3:
                sp = b.synth.tempo(sp, t)
            item.lib_id, item.kind, item.text = f"robot{k:02d}", "library robot", ROBOT_RU[k % len(ROBOT_RU)]
        else:
            text = str(r.choice(SECRETARY_RU))
            sp = b.say(text)
            item.kind, item.text = "unknown secretary", text
        add(silence(r.uniform(0.1, 0.9)))
        item.speech_onset_s = add(sp)
        add(silence(r.uniform(0.5, 1.5)))
        speech_rms = _rms(sp)
    elif label == "silence":
        add(silence(r.uniform(4.0, 6.0)))
        item.kind = "silence"
    elif label == "sit":
        add(silence(r.uniform(0.2, 0.8)))
        lo, mid = (913.8, 1370.6) if r.random() < 0.5 else (985.2, 1428.5)
        durs = (0.274, 0.274, 0.380) if r.random() < 0.5 else (0.380, 0.274, 0.380)
        for f, d in zip((lo, mid, 1776.7), durs, strict=True):
            add(tone((f,), d, 4000.0))
        add(silence(0.05))
        ann = b.say(str(r.choice(SIT_ANNOUNCE)), english=False)
        add(ann)
        add(silence(0.5))
        speech_rms = _rms(ann)
        item.kind = "SIT + announcement"
    elif label == "fax":
        add(silence(r.uniform(0.2, 1.0)))
        if r.random() < 0.5:
            for _ in range(2):
                add(tone((1100.0,), 0.5, 5000.0))
                add(silence(3.0))
            item.kind = "fax CNG"
        else:
            add(tone((2100.0,), float(r.uniform(2.6, 3.3)), 5000.0))
            add(silence(0.5))
            item.kind = "fax CED"
    x = np.concatenate(parts)
    if label == "sit" and r.random() < 0.5:
        answer = len(x) / RATE  # SIT in early media: the call is never answered
        item.kind += " (early media)"
    item.answer_at_s = round(answer, 3)
    for attr in ("speech_onset_s", "first_utterance_end_s"):
        v = getattr(item, attr)
        if v is not None:
            setattr(item, attr, round(v, 3))
    return x, item, speech_rms


def generate(out: Path, n: int, seed: int, n_robots: int = 8,
             progress: Callable[[int], None] | None = None) -> list[Item]:
    rng = np.random.default_rng(seed)
    synth = Synth()
    out.mkdir(parents=True, exist_ok=True)
    lib_dir = out / "library"
    lib_dir.mkdir(exist_ok=True)
    robots = [_robot_clip(synth, k) for k in range(n_robots)]
    for k, clip in enumerate(robots):
        write_wav(lib_dir / f"robot{k:02d}.wav", np.clip(clip, -32768, 32767).astype(np.int16))
    b = Builder(rng, synth)
    labels = [lab for lab, share in LABEL_SHARE for _ in range(max(1, round(share * n)))]
    while len(labels) < n:
        labels.append("human")
    labels = labels[:n]
    rng.shuffle(labels)
    items: list[Item] = []
    meta: list[dict[str, object]] = []
    for i, label in enumerate(labels):
        x, item, speech_rms = build_item(b, label, robots, i)
        y, chan = _channel(x, rng, speech_rms)
        write_wav(out / item.file, y.astype(np.int16))
        items.append(item)
        meta.append({**asdict(item), "channel": chan, "duration_s": round(len(y) / RATE, 3)})
        if progress is not None:
            progress(i)
    with (out / "labels.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "label", "answer_at_s", "speech_onset_s", "first_utterance_end_s", "lib_id"])
        for it in items:
            w.writerow([it.file, it.label, *("" if v is None else v for v in
                        (it.answer_at_s, it.speech_onset_s, it.first_utterance_end_s, it.lib_id))])
    (out / "manifest.json").write_text(json.dumps({"seed": seed, "rate": RATE, "items": meta}, ensure_ascii=False,
                                                  indent=1))
    return items


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.amd.corpus", description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--robots", type=int, default=8, help="distinct library robots")
    args = ap.parse_args(argv)
    t0 = time.monotonic()
    items = generate(args.out, args.n, args.seed, args.robots)
    counts: dict[str, int] = {}
    for it in items:
        counts[it.label] = counts.get(it.label, 0) + 1
    print(json.dumps({"out": str(args.out), "items": len(items), "labels": counts,
                      "seconds": round(time.monotonic() - t0, 1)}))


if __name__ == "__main__":
    main()

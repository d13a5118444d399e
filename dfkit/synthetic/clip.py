"""make_clip: a seeded synthetic face clip, real or fake, with ground truth for every cue.

Manipulations (:mod:`.manipulations`) rewrite the face texture, then the physiology. Per frame:
warp the face texture with the head-motion affine, paint blinks, add the pulse on the skin, run the
manipulations' frame hooks, add sensor noise, quantise to uint8. A fake and the real clip of the
same seed share every random draw of the base clip (identity, motion, blinks, pulse, noise);
manipulations draw from their own stream, so their difference is exactly the manipulation.
"""
from dataclasses import dataclass

import cv2
import numpy as np

from dfkit.synthetic.eyelids import close_eyelids, eyelid_colours, paint_eyelids
from dfkit.synthetic.face_model import TEXTURE_MAPS
from dfkit.synthetic.head_pose import PoseRig, pose_series
from dfkit.synthetic.manipulations import BLEND_SOURCES, REGISTRY, Context
from dfkit.synthetic.motion import affine_matrices, head_motion, moving_boxes, transform_points
from dfkit.synthetic.noise import sensor_noise
from dfkit.synthetic.photo import photo_scene
from dfkit.synthetic.physiology import (BLINK_RATE_RANGE_HZ, PULSE_AMPLITUDE_RANGE, PULSE_BPM_RANGE,
                                        PULSE_CHANNEL_WEIGHTS, Physiology, blink_schedule, eyelid_closure,
                                        pulse_trace)
from dfkit.synthetic.scene import drawn_scene
from dfkit.synthetic.speech import AUDIO_RATE, draw_speech, lip_colour, open_mouth, paint_mouth, render_audio

NOISE_SIGMA_RANGE = (1.0, 2.0)  # sensor noise, grey levels
SPEECH_STREAM = 6  # SeedSequence key of the speech draws (mouth, voice), apart from the base clip's
POSE_STREAM = 7  # SeedSequence key of the 3-D head pose draws (yaw, pitch)
MAX_HEAD_POSE_DEG = 45.0


@dataclass
class Clip:
    """A synthetic clip and its ground truth.

    frames (T, H, W, 3) uint8 RGB; label 1 = fake; boxes (T, 4) float32 [x0, y0, x1, y1];
    landmarks (T, 68, 2) float32 iBUG order; blinks: inclusive frame ranges of complete blinks;
    pulse_bpm None when the clip has no pulse; masks (T, H, W) float32 in [0, 1], 1 = manipulated.
    A clip that speaks (``make_clip(speech=True)``) also has mouth_open (T,) float32 lip opening in
    [0, 1], audio (N,) float32 mono samples in [-1, 1] at audio_rate Hz, and av_offset: frames the
    audio lags the lips (0 in sync, negative = leads); all four are None for a silent clip.
    pose_deg (T, 3) float32 head yaw, pitch, roll in degrees (:mod:`.head_pose`; yaw = pitch = 0
    unless ``make_clip(head_pose_deg=...)``, roll = the in-plane angle of the head motion).
    """

    frames: np.ndarray
    fps: float
    label: int
    manipulations: tuple
    method: str
    boxes: np.ndarray
    landmarks: np.ndarray
    blinks: list
    pulse_bpm: float | None
    masks: np.ndarray
    seed: int
    strength: float = 1.0
    pulse_amplitude: float = 0.0
    mouth_open: np.ndarray | None = None
    audio: np.ndarray | None = None
    audio_rate: int | None = None
    av_offset: int | None = None
    pose_deg: np.ndarray | None = None

    def sidecar(self):
        """JSON-able ground truth (everything but frames, masks and audio samples)."""
        pose = {} if self.pose_deg is None else {"pose_deg": np.round(self.pose_deg.astype(np.float64), 3).tolist()}
        speech = pose if self.audio is None else pose | {
            "mouth_open": np.round(self.mouth_open, 4).tolist(), "audio_rate": int(self.audio_rate),
            "av_offset": int(self.av_offset)}
        return speech | {
            "label": int(self.label), "manipulations": list(self.manipulations), "method": self.method,
            "fps": float(self.fps), "num_frames": int(len(self.frames)),
            "boxes": np.round(self.boxes, 2).tolist(), "landmarks": np.round(self.landmarks, 2).tolist(),
            "blinks": [list(b) for b in self.blinks], "pulse_bpm": self.pulse_bpm,
            "pulse_amplitude": float(self.pulse_amplitude), "seed": int(self.seed),
            "strength": float(self.strength), "size": list(self.frames.shape[1:3]),
        }


def _check_args(seed, num_frames, size, fps, fake, manipulations, strength, pulse_bpm, blink_rate_hz,
                blend_source):
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    if num_frames < 1:
        raise ValueError(f"num_frames must be >= 1, got {num_frames}")
    h, w = (size, size) if np.isscalar(size) else tuple(size)
    if min(h, w) < 32:
        raise ValueError(f"size must be at least 32 px, got {size}")
    if fps <= 0:
        raise ValueError(f"fps must be > 0, got {fps}")
    if not 0 < strength <= 1:
        raise ValueError(f"strength must be in (0, 1], got {strength}")
    if manipulations is not None and not fake:
        raise ValueError(f"manipulations {manipulations} given for a real clip; pass fake=True")
    manipulations = tuple(manipulations) if manipulations is not None else (("blend",) if fake else ())
    unknown = [m for m in manipulations if m not in REGISTRY]
    if unknown or (fake and not manipulations):
        raise ValueError(f"manipulations must be a non-empty subset of {tuple(REGISTRY)}, got {manipulations}")
    if pulse_bpm is not None and not 30 <= pulse_bpm <= min(240, 30 * fps):
        raise ValueError(f"pulse_bpm must be in [30, min(240, 30*fps)] (below Nyquist), got {pulse_bpm}")
    if blink_rate_hz is not None and blink_rate_hz < 0:
        raise ValueError(f"blink_rate_hz must be >= 0, got {blink_rate_hz}")
    if blend_source not in BLEND_SOURCES:
        raise ValueError(f"blend_source must be one of {BLEND_SOURCES}, got {blend_source!r}")
    return (int(h), int(w)), tuple(dict.fromkeys(manipulations))


def _warp(stack, mat, shape):
    """Warp ``stack`` (h, w, C) by ``mat`` into the frame; returns (roi slices, (rh, rw, C) float32)."""
    h, w = shape
    th, tw = stack.shape[:2]
    corners = np.array([[0, 0, 1], [tw, 0, 1], [0, th, 1], [tw, th, 1]], np.float64) @ mat.T
    x0, y0 = np.maximum(np.floor(corners.min(0)).astype(int) - 1, 0)
    x1, y1 = np.minimum(np.ceil(corners.max(0)).astype(int) + 1, [w, h])
    local = mat.copy()
    local[:, 2] -= [x0, y0]
    warped = cv2.warpAffine(stack, local, (int(x1 - x0), int(y1 - y0)), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return (slice(y0, y1), slice(x0, x1)), warped.reshape(y1 - y0, x1 - x0, -1)


def make_clip(seed=0, num_frames=32, size=128, fps=25.0, fake=False, manipulations=None, strength=1.0,
              photo=None, pulse_bpm=None, blink_rate_hz=None, photo_box=None, blend_source="other",
              source_seed=None, speech=None, head_pose_deg=None):
    """Generate one clip; see :class:`Clip` for the outputs.

    ``size`` int (square) or (H, W). ``fake=True`` with ``manipulations=None`` means ("blend",).
    ``photo``: None (drawn face), "astronaut", or an (H, W, 3) uint8 RGB photo with ``photo_box``.
    ``pulse_bpm`` default: random in 55-100; ``blink_rate_hz`` default: random in 0.2-0.5.
    ``blend_source``: "other" (a foreign identity; drawn from ``source_seed`` when given) or
    "self" (SBI-style self-blend). Same arguments -> identical frames.
    ``speech``: True gives the face a moving mouth and an audio track (:mod:`.speech`, drawn from its
    own stream, so the frames of a silent clip never change); None = only when a manipulation
    needs audio (``av_offset``, ``lip_mismatch``); False with such a manipulation is an error.
    ``head_pose_deg``: the face turns in 3-D, yaw and pitch each within +- this many degrees
    (:mod:`.head_pose`, own stream; None = in-plane motion only, the frames as without it).
    """
    shape, manipulations = _check_args(seed, num_frames, size, fps, fake, manipulations, strength, pulse_bpm,
                                       blink_rate_hz, blend_source)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0]))
    manip_rng = np.random.default_rng(np.random.SeedSequence([int(seed), 1]))
    source_rng = None if source_seed is None else np.random.default_rng(np.random.SeedSequence([int(source_seed), 2]))
    if photo is None:
        scene = drawn_scene(rng, shape, source_rng)
    else:
        scene = photo_scene(rng, photo, photo_box, shape)

    # Base-clip draws, in a fixed order whatever the manipulations.
    motion = head_motion(rng, num_frames, fps, scene.face_height)
    mats = affine_matrices(motion, scene.center, target=scene.target)
    rate = blink_rate_hz if blink_rate_hz is not None else rng.uniform(*BLINK_RATE_RANGE_HZ)
    blinks = blink_schedule(rng, num_frames, fps, rate)
    bpm = float(pulse_bpm) if pulse_bpm is not None else float(rng.uniform(*PULSE_BPM_RANGE))
    amplitude = float(rng.uniform(*PULSE_AMPLITUDE_RANGE))
    pulse_phase = rng.uniform(0, 2 * np.pi)
    noise_sigma = rng.uniform(*NOISE_SIGMA_RANGE)

    applied = [m for name, m in REGISTRY.items() if name in manipulations]  # in registration order
    ctx = Context(manip_rng, strength, scene, blend_source)
    texture = scene.texture
    rgb = texture.rgb
    for m in applied:
        if m.texture:
            rgb = m.texture(rgb, ctx)
    physio = Physiology(blinks, eyelid_closure(blinks, num_frames), amplitude)
    for m in applied:
        if m.physiology:
            physio = m.physiology(physio, ctx)
    blinks, closure, amplitude = physio.blinks, physio.closure, physio.amplitude
    talk = _speech(seed, num_frames, fps, speech, applied, ctx)
    pulse = pulse_trace(num_frames, fps, bpm, amplitude, pulse_phase)

    lids = eyelid_colours(rgb, texture.landmarks)
    tex_landmarks = close_eyelids(texture.landmarks, closure)
    if talk is not None:
        tex_landmarks = open_mouth(tex_landmarks, talk.mouth)
        lips = lip_colour(rgb, texture.landmarks)
    rig, pose, central = _head_pose(seed, num_frames, fps, head_pose_deg, motion, applied, ctx, texture)
    if rig is None:
        landmarks = transform_points(mats, tex_landmarks)
        open_landmarks = transform_points(mats, texture.landmarks)
    else:
        landmarks, open_landmarks = rig.pose(pose, central, mats, tex_landmarks)
    boxes = moving_boxes(mats, texture.box)
    centres = transform_points(mats, np.array([scene.center]))[:, 0]
    pulse_rgb = pulse[:, None] * PULSE_CHANNEL_WEIGHTS
    stack = np.dstack([rgb, *(getattr(texture, name) for name in TEXTURE_MAPS)]).astype(np.float32)
    frames = np.empty((num_frames, *shape, 3), np.uint8)
    masks = np.zeros((num_frames, *shape), np.float32)
    for t in range(num_frames):
        roi, warped = _warp(stack, mats[t], shape) if rig is None else rig.warp(stack, t, shape)
        maps = {name: warped[..., 3 + i] for i, name in enumerate(TEXTURE_MAPS)}
        frame = scene.background.copy()
        patch = frame[roi]
        patch += maps["alpha"][..., None] * (warped[..., :3] - patch)
        origin = np.array([roi[1].start, roi[0].start])
        paint_eyelids(patch, open_landmarks[t] - origin, landmarks[t] - origin, lids, closure[t])
        if talk is not None:
            paint_mouth(patch, landmarks[t] - origin, lips, talk.mouth[t])
        patch += maps["skin"][..., None] * pulse_rgb[t]
        for m in applied:
            if m.frame:
                patch = m.frame(patch, maps[m.mask], centres[t] - origin, ctx)
        frame[roi] = patch
        frame += sensor_noise(rng, frame.shape, noise_sigma)
        frame += 0.5  # round, not truncate, in the uint8 cast below
        np.clip(frame, 0, 255, out=frame)
        frames[t] = frame
        if applied:
            masks[t][roi] = _manipulated(applied, maps)

    method = "+".join(REGISTRY[m].method for m in manipulations) if manipulations else "real"
    return Clip(frames, float(fps), int(bool(manipulations)), manipulations, method, boxes.astype(np.float32),
                landmarks.astype(np.float32), blinks, bpm if amplitude > 0 else None, masks, int(seed),
                float(strength), amplitude, *_speech_outputs(talk, seed), pose_deg=pose.astype(np.float32))


def _head_pose(seed, num_frames, fps, head_pose_deg, motion, applied, ctx, texture):
    """``(rig, pose (T, 3), central pose (T, 3))``: the head's yaw, pitch, roll degrees and the pose the
    central face follows after the manipulations' geometry hooks; rig (a :class:`.head_pose.PoseRig`) is
    None when the face only moves in the image plane (no ``head_pose_deg``, no geometry hook)."""
    if head_pose_deg is not None and not 0 <= head_pose_deg <= MAX_HEAD_POSE_DEG:
        raise ValueError(f"head_pose_deg must be in [0, {MAX_HEAD_POSE_DEG:g}], got {head_pose_deg}")
    if head_pose_deg:
        pose_rng = np.random.default_rng(np.random.SeedSequence([int(seed), POSE_STREAM]))
        yaw_pitch = pose_series(pose_rng, num_frames, fps, head_pose_deg)
    else:
        yaw_pitch = np.zeros((num_frames, 2))
    pose = np.column_stack([yaw_pitch, motion["angle_deg"]])
    central = pose
    for m in applied:
        if m.geometry:
            central = m.geometry(central, ctx)
    if head_pose_deg is None and central is pose:
        return None, pose, central
    return PoseRig(texture.landmarks, texture.box), pose, central


def _speech(seed, num_frames, fps, speech, applied, ctx):
    """The clip's :class:`.speech.Speech` after the manipulations' audio hooks, or None if it is silent."""
    needs_audio = [m.name for m in applied if m.audio]
    if speech is False and needs_audio:
        raise ValueError(f"manipulations {needs_audio} change the audio; they need speech=True")
    if not (speech or needs_audio):
        return None
    talk = draw_speech(np.random.default_rng(np.random.SeedSequence([int(seed), SPEECH_STREAM])), num_frames, fps)
    for m in applied:
        if m.audio:
            talk = m.audio(talk, ctx)
    return talk


def _speech_outputs(talk, seed):
    """(mouth_open, audio, audio_rate, av_offset) of a :class:`Clip`; all None when silent."""
    if talk is None:
        return None, None, None, None
    voice_rng = np.random.default_rng(np.random.SeedSequence([int(seed), SPEECH_STREAM, 1]))
    return talk.mouth.astype(np.float32), render_audio(talk, voice_rng), AUDIO_RATE, int(talk.offset)


def _manipulated(applied, maps):
    """(rh, rw) mask of the pixels the ``applied`` manipulations rewrote: max of their mask maps."""
    mask = np.zeros(maps["region"].shape, np.float32)
    for m in applied:
        if m.mask is not None:  # audio-only manipulations rewrite no pixel
            mask = np.maximum(mask, maps[m.mask])
    return np.clip(mask, 0, 1)


def make_clips(n, seed=0, **kwargs):
    """``n`` clips in FaceForensics++-style pairs: clip ``2k`` is real, clip ``2k + 1`` its fake.

    Both clips of pair ``k`` share one derived base seed (same identity, motion, blinks, pulse,
    noise), so they differ only by the manipulation; ``kwargs`` go to :func:`make_clip`
    (``manipulations`` to the fakes only). Hold out whole pairs (``index // 2``), never half of one.
    An odd ``n`` ends with a lone real clip. When the fakes need audio, both twins speak.
    """
    if kwargs.get("speech") is None and any(REGISTRY[m].audio for m in kwargs.get("manipulations") or ()):
        kwargs = kwargs | {"speech": True}
    clips = []
    for i in range(n):
        pair_seed = int(np.random.SeedSequence([int(seed), 3, i // 2]).generate_state(1)[0] >> 1)
        fake = i % 2 == 1
        kw = dict(kwargs) if fake else {k: v for k, v in kwargs.items() if k != "manipulations"}
        clips.append(make_clip(seed=pair_seed, fake=fake, **kw))
    return clips

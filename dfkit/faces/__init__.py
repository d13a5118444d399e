"""Faces: MTCNN detection, box expansion and temporal smoothing, the one face-crop path, 5-point alignment."""
from dfkit.faces.align import align_face, alignment_matrix, five_point_template
from dfkit.faces.boxes import expand_box, fill_missing_boxes, smooth_boxes
from dfkit.faces.detector import Detection, FaceDetector
from dfkit.faces.pipeline import CROP_SIZE, FACE_MARGIN, FaceTracker, crop_face, crop_faces

__all__ = ["CROP_SIZE", "Detection", "FACE_MARGIN", "FaceDetector", "FaceTracker", "align_face", "alignment_matrix",
           "crop_face", "crop_faces", "expand_box", "fill_missing_boxes", "five_point_template", "smooth_boxes"]

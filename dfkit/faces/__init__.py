"""Faces: MTCNN detection, box expansion / cropping / temporal smoothing, 5-point alignment."""
from dfkit.faces.align import align_face, alignment_matrix, five_point_template
from dfkit.faces.boxes import crop_face, expand_box, fill_missing_boxes, smooth_boxes
from dfkit.faces.detector import Detection, FaceDetector

__all__ = ["Detection", "FaceDetector", "align_face", "alignment_matrix", "crop_face", "expand_box",
           "fill_missing_boxes", "five_point_template", "smooth_boxes"]

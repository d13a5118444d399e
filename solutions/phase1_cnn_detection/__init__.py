"""Reference solutions for phase1_cnn_detection."""

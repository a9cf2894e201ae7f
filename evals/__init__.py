"""The eval suite: question set, metrics, baseline and report."""

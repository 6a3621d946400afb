"""The projection pipeline: translate, label, align, project, with a content-addressed cache."""

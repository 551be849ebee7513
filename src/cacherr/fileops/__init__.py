"""cacherr.fileops"""

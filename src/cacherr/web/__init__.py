"""cacherr.web"""

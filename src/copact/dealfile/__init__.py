"""dealfile"""

#!/bin/sh
# autogen.sh - generate ./configure and Makefile.in from configure.ac and
# Makefile.am (needs autoconf and automake).  Then: ./configure && make.
set -e
cd "$(dirname "$0")"
exec autoreconf -fi

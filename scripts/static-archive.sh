#!/bin/sh
# Make libsplitdrv.a export what libsplitdrv.so exports and nothing else.
# A static archive has no version script: its members' hidden symbols (the
# components' internal helpers, such as the XenStore wire codec's xs_*,
# which is libxenstore's namespace) would still clash with a program's own.
# So link every member into one relocatable object, turn its hidden symbols
# local, and archive that one object.
#   static-archive.sh OUTPUT.a INPUT.a [INPUT.a...]
set -eu
out=$1
shift
obj=${out%.a}.o
ld -r -o "$obj" --whole-archive "$@" --no-whole-archive
objcopy --localize-hidden "$obj"
rm -f "$out"
ar rcs "$out" "$obj"
rm -f "$obj"

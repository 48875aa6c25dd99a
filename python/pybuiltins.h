/*
 * pybuiltins.h - python/'s built-ins for the VM (BC_BUILTINS_PY: pystack(),
 * pyrepr(), ...), handed to vm_new() through struct vm_host's ext.
 */
#ifndef PYTAP_PYBUILTINS_H
#define PYTAP_PYBUILTINS_H

#include "vm.h"

extern const struct vm_ext py_vm_ext;

/* $$parms of a python function__entry breakpoint hit: the arguments of
 * the function running in thread TID of PID, read from its frame (see
 * py_frame_args), at most CAP bytes into OUT; returns the length (0
 * after raising an error in VM). */
long py_vm_frame_args(struct vm *vm, pid_t pid, pid_t tid, char *out,
		      size_t cap);

#endif

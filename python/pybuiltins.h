/*
 * pybuiltins.h - python/'s built-ins for the VM (BC_BUILTINS_PY: pystack(),
 * pyrepr(), ...), handed to vm_new() through struct vm_host's ext.
 */
#ifndef PYTAP_PYBUILTINS_H
#define PYTAP_PYBUILTINS_H

#include "vm.h"

extern const struct vm_ext py_vm_ext;

#endif

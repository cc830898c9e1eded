// libjpeg needs FILE and size_t declared before jpeglib.h.
#include <stddef.h>
#include <stdio.h>
#include <jpeglib.h>

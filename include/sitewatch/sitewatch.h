/* sitewatch/sitewatch.h: the whole public interface of libsitewatch. */
#ifndef SITEWATCH_H
#define SITEWATCH_H
#include "sitewatch/core.h"
#include "sitewatch/pair.h"
#include "sitewatch/catalog.h"
#include "sitewatch/queue.h"
#include "sitewatch/detect.h"
#include "sitewatch/eval.h"
#include "sitewatch/model.h"
#include "sitewatch/synth.h"
#endif

// Umbrella header for the Tandem sparse-update codec.
#pragma once
#include "tandem_codec/aggregate.h"
#include "tandem_codec/chunking.h"
#include "tandem_codec/decoder.h"
#include "tandem_codec/encoder.h"
#include "tandem_codec/payload.h"
#include "tandem_codec/status.h"

// The remote client alone (raftkv::client), from an installed raftkv.
#include "raftkv/client.h"

int main() {
  auto kv = raftkv::Connect({.endpoints = {"127.0.0.1:2379"}});
  return kv.ok() ? 0 : 1;
}

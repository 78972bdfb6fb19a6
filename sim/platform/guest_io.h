// The bare-metal guest's outside world: the MMIO block at 0xFFFFFFFFFFFF0000
// (console, exit, halt, cpu id, cpu count; see guest/README.md) and, for test
// programs built with the linux target, the few Linux system calls they use.
#pragma once
#include <cstdint>
#include <string>

#include "cpu_ppc64/environment_if.h"

namespace quiesce::platform {

class GuestIo final : public ppc::Environment_if {
 public:
  static constexpr uint64_t kBase = 0xFFFFFFFFFFFF0000ull;
  enum Reg : uint64_t { kConsole = 0x00, kExit = 0x08, kHalt = 0x10, kCpuId = 0x18, kNumCpus = 0x20 };

  explicit GuestIo(unsigned cpus) : cpus_(cpus) {}

  bool is_mmio(uint64_t addr) const override { return addr >= kBase; }
  ppc::HartAction mmio_load(ppc::Hart& h, uint64_t addr, unsigned size, uint64_t& value) override;
  ppc::HartAction mmio_store(ppc::Hart& h, uint64_t addr, unsigned size, uint64_t value) override;
  ppc::HartAction system_call(ppc::Hart& h) override;

  bool exited() const { return exited_; }
  int exit_code() const { return exit_code_; }
  // Console bytes are written to stdout as they come; this counts them.
  uint64_t console_bytes() const { return console_bytes_; }

 private:
  ppc::HartAction exit_with(int code);
  void putc(char c);

  unsigned cpus_;
  bool exited_ = false;
  int exit_code_ = 0;
  uint64_t console_bytes_ = 0;
};

// What the harts see: the guest I/O block, plus host calls forwarded to the OS
// model once one is attached (the window is fixed before the harts exist).
class PlatformEnv final : public ppc::Environment_if {
 public:
  PlatformEnv(GuestIo& io, HostCallWindow window) : io_(io), window_(window) {}
  void attach(ppc::Environment_if* host) { host_ = host; }
  bool is_mmio(uint64_t addr) const override { return io_.is_mmio(addr); }
  ppc::HartAction mmio_load(ppc::Hart& h, uint64_t addr, unsigned size, uint64_t& value) override {
    return io_.mmio_load(h, addr, size, value);
  }
  ppc::HartAction mmio_store(ppc::Hart& h, uint64_t addr, unsigned size, uint64_t value) override {
    return io_.mmio_store(h, addr, size, value);
  }
  ppc::HartAction system_call(ppc::Hart& h) override { return io_.system_call(h); }
  HostCallWindow host_call_window() const override { return window_; }
  ppc::HartAction host_call(ppc::Hart& h, uint64_t pc) override {
    return host_ ? host_->host_call(h, pc) : ppc::HartAction::Fault;
  }
  void watched(ppc::Hart& h, uint64_t pc) override {
    if (host_) host_->watched(h, pc);
  }

 private:
  GuestIo& io_;
  HostCallWindow window_;
  ppc::Environment_if* host_ = nullptr;
};

}  // namespace quiesce::platform

#include "platform/guest_io.h"

#include <cstdio>
#include <fmt/format.h>

#include "cpu_ppc64/hart.h"

namespace quiesce::platform {

using ppc::HartAction;

void GuestIo::putc(char c) {
  std::fputc(c, stdout);
  ++console_bytes_;
}

HartAction GuestIo::exit_with(int code) {
  if (!exited_) exited_ = true, exit_code_ = code;
  return HartAction::Exit;
}

HartAction GuestIo::mmio_load(ppc::Hart& h, uint64_t addr, unsigned size, uint64_t& value) {
  switch (addr - kBase) {
    case kCpuId: value = h.id(); return HartAction::Continue;
    case kNumCpus: value = cpus_; return HartAction::Continue;
    default:
      h.raise_trap(fmt::format("load of {} bytes from unmapped MMIO address 0x{:x}", size, addr));
      return HartAction::Fault;
  }
}

HartAction GuestIo::mmio_store(ppc::Hart& h, uint64_t addr, unsigned size, uint64_t value) {
  switch (addr - kBase) {
    case kConsole: putc(static_cast<char>(value)); return HartAction::Continue;
    case kExit: return exit_with(static_cast<int>(value & 0xff));
    case kHalt: return HartAction::Halt;
    default:
      h.raise_trap(fmt::format("store of {} bytes to unmapped MMIO address 0x{:x}", size, addr));
      return HartAction::Fault;
  }
}

// Linux ppc64 system call convention: number in r0, arguments r3..r8, result in
// r3 with CR0.SO set on error (r3 = positive errno).
HartAction GuestIo::system_call(ppc::Hart& h) {
  auto& s = h.state();
  auto& r = s.gpr;
  auto ret = [&](int64_t v) {
    const bool err = v < 0;
    r[3] = static_cast<uint64_t>(err ? -v : v);
    s.cr = (s.cr & ~0x10000000u) | (err ? 0x10000000u : 0u);
    return HartAction::Continue;
  };
  switch (r[0]) {
    case 1: case 234: return exit_with(static_cast<int>(r[3] & 0xff));  // exit, exit_group
    case 4: {  // write(fd, buf, len)
      if (r[3] != 1 && r[3] != 2) return ret(-9);  // EBADF
      if (!h.memory().contains(r[4], r[5])) return ret(-14);  // EFAULT
      for (uint64_t i = 0; i < r[5]; ++i) putc(static_cast<char>(h.memory().load<uint8_t>(r[4] + i)));
      return ret(static_cast<int64_t>(r[5]));
    }
    default: return ret(-38);  // ENOSYS
  }
}

}  // namespace quiesce::platform

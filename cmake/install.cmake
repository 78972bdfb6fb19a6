# `make install` (cmake --install BUILD [--prefix P]; prefix /usr/local by default) and `make uninstall`.
#
#   PREFIX/bin/quiesce                              the simulator
#   PREFIX/bin/quiesce-guest-cc, quiesce-torture, quiesce-lockstep, quiesce-qemu-count
#                                                   symbolic links to the tools in share/quiesce/tools
#   PREFIX/lib/python3.X/dist-packages/quiesce/     the Python package with its extension quiesce._core,
#                                                   where Debian's /usr/bin/python3 imports it when
#                                                   PREFIX is /usr/local (its site directory)
#   PREFIX/share/quiesce/scenarios/                 the shipped scenarios (quiesce.scenario("k42-swap.yaml"))
#   PREFIX/share/quiesce/notebooks/                 the notebooks
#   PREFIX/share/quiesce/guest/, tools/             what quiesce-guest-cc compiles against, the tools
#   PREFIX/share/quiesce/build/guest/objects.elf    the methods scenarios/elf_methods.yaml loads
#                                                   (../build/guest/objects.elf from the scenario)
#
# The package finds the binary and share/quiesce through quiesce/_paths.py, written here with paths
# relative to the package, so a --prefix given at install time works too. Every path is relative to
# the prefix: nothing here depends on CMAKE_INSTALL_PREFIX at configure time.
include(GNUInstallDirs)  # CMAKE_INSTALL_PREFIX: /usr/local unless configured otherwise

# Debian's python3 looks in PREFIX/lib/python3.X/dist-packages for PREFIX /usr/local (site.getsitepackages()).
execute_process(COMMAND /usr/bin/python3 -c "import sys; print('%d.%d' % sys.version_info[:2])"
                OUTPUT_VARIABLE QUIESCE_PY_XY OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE py_rc)
if(NOT py_rc EQUAL 0)
  message(FATAL_ERROR "cannot run /usr/bin/python3")
endif()
set(QUIESCE_INSTALL_PYDIR lib/python${QUIESCE_PY_XY}/dist-packages CACHE STRING
    "Where `make install` puts the Python package, relative to the prefix")
set(QUIESCE_INSTALL_DATADIR ${CMAKE_INSTALL_DATADIR}/quiesce)

install(TARGETS quiesce RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The Python package: the sources, the extension, and _paths.py.
file(GLOB QUIESCE_PY_INSTALL_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/analysis/quiesce/*.py)
install(FILES ${QUIESCE_PY_INSTALL_SOURCES} DESTINATION ${QUIESCE_INSTALL_PYDIR}/quiesce)
install(TARGETS _core LIBRARY DESTINATION ${QUIESCE_INSTALL_PYDIR}/quiesce)
file(RELATIVE_PATH QUIESCE_PKG_TO_BIN /p/${QUIESCE_INSTALL_PYDIR}/quiesce /p/${CMAKE_INSTALL_BINDIR}/quiesce)
file(RELATIVE_PATH QUIESCE_PKG_TO_DATA /p/${QUIESCE_INSTALL_PYDIR}/quiesce /p/${QUIESCE_INSTALL_DATADIR})
file(WRITE ${PROJECT_BINARY_DIR}/install-python/_paths.py
"\"\"\"Where this installed copy of quiesce finds its simulator and its shared files (written by
cmake/install.cmake; relative to this package).\"\"\"
BIN = \"${QUIESCE_PKG_TO_BIN}\"
DATA = \"${QUIESCE_PKG_TO_DATA}\"
")
install(FILES ${PROJECT_BINARY_DIR}/install-python/_paths.py DESTINATION ${QUIESCE_INSTALL_PYDIR}/quiesce)

# Shared files.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/scenarios/ DESTINATION ${QUIESCE_INSTALL_DATADIR}/scenarios)
install(FILES ${PROJECT_SOURCE_DIR}/analysis/notebooks/compare-strategies.ipynb
              ${PROJECT_SOURCE_DIR}/analysis/notebooks/swap-anatomy.ipynb
              ${PROJECT_SOURCE_DIR}/analysis/notebooks/strategy-intervals.ipynb
              ${PROJECT_SOURCE_DIR}/analysis/notebooks/autonomic-policies.ipynb
        DESTINATION ${QUIESCE_INSTALL_DATADIR}/notebooks)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/guest/include ${PROJECT_SOURCE_DIR}/guest/lib ${PROJECT_SOURCE_DIR}/guest/bare
                  ${PROJECT_SOURCE_DIR}/guest/linux ${PROJECT_SOURCE_DIR}/guest/examples
        DESTINATION ${QUIESCE_INSTALL_DATADIR}/guest)
install(FILES ${PROJECT_SOURCE_DIR}/guest/README.md DESTINATION ${QUIESCE_INSTALL_DATADIR}/guest)
install(FILES ${PROJECT_BINARY_DIR}/guest/objects.elf DESTINATION ${QUIESCE_INSTALL_DATADIR}/build/guest)

# The tools, in share/quiesce/tools (they find guest/ next to them), each on PATH as a link quiesce-NAME.
file(RELATIVE_PATH QUIESCE_BIN_TO_TOOLS /p/${CMAKE_INSTALL_BINDIR} /p/${QUIESCE_INSTALL_DATADIR}/tools)
file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/install-bin)
foreach(tool guest-cc torture lockstep qemu-count)
  install(PROGRAMS ${PROJECT_SOURCE_DIR}/tools/${tool} DESTINATION ${QUIESCE_INSTALL_DATADIR}/tools)
  file(CREATE_LINK ${QUIESCE_BIN_TO_TOOLS}/${tool} ${PROJECT_BINARY_DIR}/install-bin/quiesce-${tool} SYMBOLIC)
  install(PROGRAMS ${PROJECT_BINARY_DIR}/install-bin/quiesce-${tool} DESTINATION ${CMAKE_INSTALL_BINDIR})
endforeach()

# `make uninstall` (cmake --build BUILD --target uninstall): removes what the last install listed in
# install_manifest.txt, the bytecode Python wrote next to it, and the directories left empty that
# are quiesce's own (share/quiesce, the package).
add_custom_target(uninstall
  COMMAND ${CMAKE_COMMAND} -DMANIFEST=${PROJECT_BINARY_DIR}/install_manifest.txt
          -P ${PROJECT_SOURCE_DIR}/cmake/uninstall.cmake
  COMMENT "Removing what `make install` installed" VERBATIM)

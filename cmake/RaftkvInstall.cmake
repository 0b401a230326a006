# `cmake --install` of the library (issue 6): public headers, the raft core's headers (with
# its generated raftpb header), every static library the public targets need, and a CMake
# package: find_package(raftkv CONFIG) gives raftkv::raftkv (embedded member + client +
# recipes + raft core) and raftkv::client (remote client + recipes only).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(RAFTKV_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/raftkv)
set(raftkv_installed_libraries
  raftkv_all raftkv_embed raftkv_client raftkv_server_grpc raftkv_server raftkv_raft raftkv_wal
  raftkv_mvcc raftkv_lease raftkv_transport raftkv_util raftkv_raftpb raftkv_etcdpb
  raftkv_leasepb raftkv_serverpb)

# The libraries name source and build directories in their include paths; an installed
# target must point into the prefix instead. Wrap each path for the build tree only.
foreach(target ${raftkv_installed_libraries})
  get_target_property(dirs ${target} INTERFACE_INCLUDE_DIRECTORIES)
  if(NOT dirs)
    continue()
  endif()
  set(wrapped)
  foreach(dir ${dirs})
    if(dir MATCHES "^\\$<")
      list(APPEND wrapped "${dir}")
    else()
      list(APPEND wrapped "$<BUILD_INTERFACE:${dir}>")
    endif()
  endforeach()
  list(APPEND wrapped "$<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>")
  set_target_properties(${target} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${wrapped}")
endforeach()
set_target_properties(raftkv_all PROPERTIES EXPORT_NAME raftkv)
set_target_properties(raftkv_client PROPERTIES EXPORT_NAME client)
set_target_properties(raftkv_embed PROPERTIES EXPORT_NAME embed)
set_target_properties(raftkv_raft PROPERTIES EXPORT_NAME raft)

install(TARGETS ${raftkv_installed_libraries} EXPORT raftkvTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/raftkv DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/raftkv/raft DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/raftkv
  FILES_MATCHING PATTERN "*.h")
install(FILES ${CMAKE_BINARY_DIR}/generated/raftpb/raft.pb.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/raftpb)
install(EXPORT raftkvTargets NAMESPACE raftkv:: DESTINATION ${RAFTKV_INSTALL_CMAKEDIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/raftkvConfig.cmake.in
  ${CMAKE_BINARY_DIR}/raftkvConfig.cmake INSTALL_DESTINATION ${RAFTKV_INSTALL_CMAKEDIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/raftkvConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/raftkvConfig.cmake ${CMAKE_BINARY_DIR}/raftkvConfigVersion.cmake
  DESTINATION ${RAFTKV_INSTALL_CMAKEDIR})

#ifndef RAFTKV_SERVER_AUTH_SERVICE_H_
#define RAFTKV_SERVER_AUTH_SERVICE_H_

#include "etcdserverpb/rpc.grpc.pb.h"
#include "raftkv/server/member.h"

namespace raftkv::server {

// etcd's Auth service for a cluster without authentication (raftkv has no users or roles):
// every call answers etcd's ErrGRPCAuthNotEnabled (FailedPrecondition "etcdserver:
// authentication is not enabled"), which is what etcd answers for Authenticate on such a
// cluster and what etcdctl reports as such, except AuthDisable, which succeeds because
// authentication is already off (etcd's AuthDisable is idempotent). Nothing hangs and nothing
// is UNIMPLEMENTED. `member` (for response headers) must outlive the service.
class AuthService final : public etcdserverpb::Auth::CallbackService {
 public:
  explicit AuthService(const Member* member) : member_(member) {}

  grpc::ServerUnaryReactor* AuthEnable(grpc::CallbackServerContext* context,
                                       const etcdserverpb::AuthEnableRequest* request,
                                       etcdserverpb::AuthEnableResponse* response) override;
  grpc::ServerUnaryReactor* AuthDisable(grpc::CallbackServerContext* context,
                                        const etcdserverpb::AuthDisableRequest* request,
                                        etcdserverpb::AuthDisableResponse* response) override;
  grpc::ServerUnaryReactor* Authenticate(grpc::CallbackServerContext* context,
                                         const etcdserverpb::AuthenticateRequest* request,
                                         etcdserverpb::AuthenticateResponse* response) override;
  grpc::ServerUnaryReactor* UserAdd(grpc::CallbackServerContext* context,
                                    const etcdserverpb::AuthUserAddRequest* request,
                                    etcdserverpb::AuthUserAddResponse* response) override;
  grpc::ServerUnaryReactor* UserGet(grpc::CallbackServerContext* context,
                                    const etcdserverpb::AuthUserGetRequest* request,
                                    etcdserverpb::AuthUserGetResponse* response) override;
  grpc::ServerUnaryReactor* UserList(grpc::CallbackServerContext* context,
                                     const etcdserverpb::AuthUserListRequest* request,
                                     etcdserverpb::AuthUserListResponse* response) override;
  grpc::ServerUnaryReactor* UserDelete(grpc::CallbackServerContext* context,
                                       const etcdserverpb::AuthUserDeleteRequest* request,
                                       etcdserverpb::AuthUserDeleteResponse* response) override;
  grpc::ServerUnaryReactor* UserChangePassword(
      grpc::CallbackServerContext* context,
      const etcdserverpb::AuthUserChangePasswordRequest* request,
      etcdserverpb::AuthUserChangePasswordResponse* response) override;
  grpc::ServerUnaryReactor* UserGrantRole(
      grpc::CallbackServerContext* context, const etcdserverpb::AuthUserGrantRoleRequest* request,
      etcdserverpb::AuthUserGrantRoleResponse* response) override;
  grpc::ServerUnaryReactor* UserRevokeRole(
      grpc::CallbackServerContext* context, const etcdserverpb::AuthUserRevokeRoleRequest* request,
      etcdserverpb::AuthUserRevokeRoleResponse* response) override;
  grpc::ServerUnaryReactor* RoleAdd(grpc::CallbackServerContext* context,
                                    const etcdserverpb::AuthRoleAddRequest* request,
                                    etcdserverpb::AuthRoleAddResponse* response) override;
  grpc::ServerUnaryReactor* RoleGet(grpc::CallbackServerContext* context,
                                    const etcdserverpb::AuthRoleGetRequest* request,
                                    etcdserverpb::AuthRoleGetResponse* response) override;
  grpc::ServerUnaryReactor* RoleList(grpc::CallbackServerContext* context,
                                     const etcdserverpb::AuthRoleListRequest* request,
                                     etcdserverpb::AuthRoleListResponse* response) override;
  grpc::ServerUnaryReactor* RoleDelete(grpc::CallbackServerContext* context,
                                       const etcdserverpb::AuthRoleDeleteRequest* request,
                                       etcdserverpb::AuthRoleDeleteResponse* response) override;
  grpc::ServerUnaryReactor* RoleGrantPermission(
      grpc::CallbackServerContext* context,
      const etcdserverpb::AuthRoleGrantPermissionRequest* request,
      etcdserverpb::AuthRoleGrantPermissionResponse* response) override;
  grpc::ServerUnaryReactor* RoleRevokePermission(
      grpc::CallbackServerContext* context,
      const etcdserverpb::AuthRoleRevokePermissionRequest* request,
      etcdserverpb::AuthRoleRevokePermissionResponse* response) override;

 private:
  const Member* const member_;
};

}  // namespace raftkv::server

#endif  // RAFTKV_SERVER_AUTH_SERVICE_H_

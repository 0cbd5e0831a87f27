"""用户与权限 Users and permissions (admin): accounts, roles, passwords, who may see personal data."""

from functools import partial

import streamlit as st

from core.access import auth
from dashboard import access, admin_view, db
from dashboard.i18n import coded, t
from dashboard.safe_text import plain
from dashboard.widgets import label_of

st.title(t("users.title"))
admin = access.require("manage_users")
engine = db.get_engine()


def error(exc: auth.AuthError) -> None:
    st.error(t(f"users.error.{exc.kind}"))


with engine.connect() as conn:
    accounts = auth.users(conn=conn)
    pii = auth.role_show_pii(conn=conn)
advisors = db.advisors(engine, db.data_version(engine))

st.subheader(t("users.list"))
advisor_names = dict(zip(advisors["id"].astype(int), advisors["name"], strict=True))
st.dataframe(admin_view.users_frame(accounts, advisor_names), hide_index=True, key="users")

advisor_ids = [None, *advisors["id"].astype(int).tolist()]
advisor_label = partial(
    label_of,
    {None: t("users.advisor.none")}
    | {int(i): f"{int(i)} · {n}" for i, n in zip(advisors["id"], advisors["name"], strict=True)},
)


left, right = st.columns(2, gap="large")
with left, st.form("user_add", clear_on_submit=True):
    st.markdown(f"**{t('users.add')}**")
    name = st.text_input(t("users.col.name"), max_chars=auth.NAME_MAX)
    display = st.text_input(t("users.display_name"), max_chars=auth.NAME_MAX)
    role = st.selectbox(
        t("users.col.role"), auth.ROLES, format_func=partial(coded, "role"), key="user_add_role"
    )
    advisor = st.selectbox(t("users.advisor"), advisor_ids, format_func=advisor_label, key="user_add_advisor")
    password = st.text_input(t("auth.password"), type="password", max_chars=256)
    password2 = st.text_input(t("users.password2"), type="password", max_chars=256)
    if st.form_submit_button(t("users.create"), type="primary"):
        access.require("manage_users")
        if password != password2:
            st.error(t("users.mismatch"))
        else:
            try:
                auth.create_user(
                    engine,
                    name=name,
                    role=role,
                    password=password,
                    actor=admin.name,
                    display_name=display or None,
                    advisor_id=advisor,
                )
            except auth.AuthError as exc:
                error(exc)
            else:
                st.session_state["users_flash"] = t("users.created", name=plain(name.strip()))
                st.rerun()

with right, st.form("user_edit"):
    st.markdown(f"**{t('users.edit')}**")
    names = accounts["name"].tolist()
    pick = st.selectbox(t("users.pick"), names, key="user_edit_pick")
    row = accounts.set_index("name").loc[pick] if pick else None
    new_role = st.selectbox(
        t("users.col.role"),
        auth.ROLES,
        index=auth.ROLES.index(row["role"]) if row is not None else 0,
        format_func=partial(coded, "role"),
        key="user_edit_role",
    )
    active = st.checkbox(
        t("users.active"), value=bool(row["active"]) if row is not None else True, key="user_edit_active"
    )
    new_password = st.text_input(t("users.new_password"), type="password", max_chars=256, key="user_edit_pw")
    if st.form_submit_button(t("users.save")) and pick:
        access.require("manage_users")
        if pick == admin.name and (new_role != admin.role or not active):
            st.error(t("users.self"))
        else:
            try:
                if new_password:
                    auth.set_password(engine, name=pick, password=new_password, actor=admin.name)
                auth.update_user(engine, name=pick, actor=admin.name, role=new_role, active=active)
            except auth.AuthError as exc:
                error(exc)
            else:
                st.session_state["users_flash"] = t("users.saved", name=plain(pick))
                st.rerun()

st.subheader(t("users.pii"))
st.caption(t("users.pii.caption"))
with st.form("role_pii"):
    wanted = {r: st.toggle(t(f"role.{r}"), value=pii[r], key=f"pii_{r}") for r in auth.ROLES}
    if st.form_submit_button(t("users.save")):
        access.require("manage_users")
        for r, value in wanted.items():
            if value != pii[r]:
                auth.set_role_show_pii(engine, role=r, show_pii=value, actor=admin.name)
        st.session_state["users_flash"] = t("users.pii.saved")
        st.rerun()

if "users_flash" in st.session_state:
    st.success(st.session_state.pop("users_flash"))
